package clause

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/exitkit/exitkit/site/clause/param"
	"github.com/exitkit/exitkit/site/clause/render"
)

// RenderOptions adjusts a rendering beyond the contract's defaults.
type RenderOptions struct {
	// XRefURL returns the link target of a cross-reference to clause id in
	// the HTML; nil links to "#<id>".
	XRefURL func(id string) string
}

// Render renders the clause. p == nil gives the library view, each
// parameter a marked placeholder showing its description and default;
// otherwise the customer view with p's values (falling back to defaults).
func (c *Clause) Render(l *Library, p *Profile) (*Rendered, error) {
	return c.RenderWith(l, p, RenderOptions{})
}

// RenderWith is Render with options.
func (c *Clause) RenderWith(l *Library, p *Profile, opt RenderOptions) (*Rendered, error) {
	if c.tpl == nil {
		return nil, fmt.Errorf("render %s: the clause has no parsed body", c.File)
	}
	env := c.env(l)
	env.XRefURL = opt.XRefURL
	if p != nil {
		vals, err := c.values(p)
		if err != nil {
			return nil, err
		}
		env.Library, env.Values = false, vals
	}
	md, html, err := c.tpl.Render(env)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", c.File, err)
	}
	return &Rendered{Text: md, HTML: html, Fingerprint: Fingerprint(md)}, nil
}

// env is the library view of c, cross-references resolved in l.
func (c *Clause) env(l *Library) *render.Env {
	return &render.Env{
		Heading: fmt.Sprintf("%s %s v%s", c.ID, c.Title, c.Version),
		Lang:    c.Lang, Params: c.Params, Library: true,
		XRef: func(id string) (int, string, bool) {
			t := c.xref(l, id)
			if t == nil {
				return 0, "", false
			}
			return t.Order, t.Title, true
		},
	}
}

// Fingerprint returns "sha256:" and the hex SHA-256 of text.
func Fingerprint(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// values returns the clause's parameter values for profile p: its value
// converted to the parameter's type, else the default.
func (c *Clause) values(p *Profile) (map[string]any, error) {
	out := make(map[string]any, len(c.Params))
	for i := range c.Params {
		pr := &c.Params[i]
		v, ok := p.Values[pr.Name]
		if !ok || v == nil {
			if pr.Default == nil {
				return nil, fmt.Errorf("render %s %s for %s: %s has no value and no default; set values.%s in the profile",
					c.ID, c.Version, p.File, pr.Name, pr.Name)
			}
			out[pr.Name] = pr.Default
			continue
		}
		cv, msg := param.Coerce(pr.Type, v)
		if msg != "" {
			return nil, fmt.Errorf("render %s %s for %s: values.%s: %s", c.ID, c.Version, p.File, pr.Name, msg)
		}
		out[pr.Name] = cv
	}
	return out, nil
}

// xref resolves [[ID]] to the target clause: the version in the same
// language in force on the referring version's effective date, so that
// the text of a published version (and its fingerprint) does not change
// when the target is later retitled or renumbered; else the current
// version in the same language, else in any language.
func (c *Clause) xref(l *Library, id string) *Clause {
	if l == nil {
		return nil
	}
	if v := l.VersionOn(id, c.Lang, c.Effective); v != nil {
		return v
	}
	return l.resolve(id, c.Lang)
}

func (l *Library) resolve(id, lang string) *Clause {
	var fallback *Clause
	for _, c := range l.Clauses {
		if c.ID != id || c.Status != StatusPublished {
			continue
		}
		if c.Lang == lang {
			if fallback == nil || fallback.Lang != lang || compareVersions(c.Version, fallback.Version) > 0 {
				fallback = c
			}
		} else if fallback == nil {
			fallback = c
		}
	}
	return fallback
}
