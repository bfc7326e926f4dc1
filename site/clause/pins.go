package clause

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Codes of the findings about a profile's clause versions.
const (
	// CodeNotInForce: a selected version takes effect after the profile's
	// effective date, so the contract would cite a text not yet in force.
	// It carries the lint rule's id: the lint (site/clause/lint) lists the
	// rule and checks the library half, the order of effective dates.
	CodeNotInForce = "EFFECTIVE-IN-FORCE"
	// CodeUnpinned (warning): the profile does not record the versions
	// agreed, so its module changes whenever the library does.
	CodeUnpinned = "unpinned"
	// CodeNewerVersion (note): a pinned clause has a later version.
	CodeNewerVersion = "newer-version"
)

// CheckVersions reports on the versions a profile selects: any not in
// force on its effective date, pins with a newer version, and a selection
// that is not pinned.
func (l *Library) CheckVersions(p *Profile, selected []*Clause) []Finding {
	var out []Finding
	idx := map[string]int{}
	for i, id := range p.Clauses {
		idx[id] = i
	}
	key := func(id string) string {
		if i, ok := idx[id]; ok {
			return fmt.Sprintf("clauses.%d", i)
		}
		return "effective"
	}
	for _, c := range selected {
		if !p.Effective.IsZero() && c.Effective.After(p.Effective) {
			hint := "give the profile an effective date on or after " + ISODate(c.Effective)
			if prev := l.VersionOn(c.ID, c.Lang, p.Effective); prev != nil {
				hint = fmt.Sprintf("pin the version in force on %s (%s: %s), or give the profile an effective date on or after %s",
					ISODate(p.Effective), c.ID, prev.Version, ISODate(c.Effective))
			}
			f := p.finding(SeverityError, CodeNotInForce, key(c.ID), hint,
				"%s version %s takes effect on %s, after the profile's effective date %s: the module would cite a text not yet in force",
				c.ID, c.Version, ISODate(c.Effective), ISODate(p.Effective))
			f.Article = "DORA Art. 30(1); Data Act Art. 25(1)"
			out = append(out, f)
		}
		if p.Pins[c.ID] == "" {
			continue
		}
		tl := l.timeline(c.ID, c.Lang)
		if latest := tl[len(tl)-1]; compareVersions(latest.Version, c.Version) > 0 {
			out = append(out, p.finding(SeverityInfo, CodeNewerVersion, key(c.ID),
				fmt.Sprintf("see what changed with 'exitsite diff %s %s %s --lang %s'; to move to it, agree it with the customer and change the pin", c.ID, c.Version, latest.Version, c.Lang),
				"%s is pinned at %s; version %s (effective %s) exists", c.ID, c.Version, latest.Version, ISODate(latest.Effective)))
		}
	}
	if !p.Pinned() {
		var which string
		if p.Clauses != nil {
			var ids []string
			for _, id := range p.Clauses {
				if p.Pins[id] == "" {
					ids = append(ids, id)
				}
			}
			which = " for " + strings.Join(ids, ", ")
		}
		date := "the latest published versions"
		if d := p.SelectionDate(); !d.IsZero() {
			date = "the versions in force on " + ISODate(d)
		}
		k := "clauses"
		if p.Clauses == nil {
			k = "effective"
		}
		out = append(out, p.finding(SeverityWarning, CodeUnpinned, k,
			fmt.Sprintf("once the customer has agreed the module, run 'exitsite module --profile %s --pin' to record each clause's version in the profile", p.File),
			"the profile pins no clause version%s: its module takes %s and will change with the library", which, date))
	}
	return out
}

// Pin records in the profile file at path the clause versions of a module
// (the mapping form of clauses: that LoadProfile reads), replacing its
// clauses: field or adding one before values:. Everything else in the
// file, comments included, is kept; the file is replaced atomically and
// never through a symbolic link. It reports whether the file changed.
func Pin(path string, pins []Pinned) (bool, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	if st.Mode()&fs.ModeSymlink != 0 || !st.Mode().IsRegular() {
		return false, fmt.Errorf("pin %s: not a regular file; pass the profile itself, not a link to it", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	out, err := pinYAML(data, pins)
	if err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	if bytes.Equal(out, data) {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), st.Mode().Perm()); err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	return true, nil
}

// Pinned is one clause version a module rendered.
type Pinned struct{ ID, Version string }

const pinComment = "Clause versions agreed with the customer; the module renders exactly these.\n" +
	"Written by 'exitsite module --pin'; 'exitsite check' notes newer versions."

// pinYAML rewrites the clauses: field of a profile with the yaml.v3 node
// API, so comments and the order of fields survive.
func pinYAML(data []byte, pins []Pinned) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("the profile is not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the profile is not a set of fields")
	}
	top := doc.Content[0]
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, p := range pins {
		m.Content = append(m.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.ID},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.Version})
	}
	i := slices.IndexFunc(top.Content, func(n *yaml.Node) bool { return n.Value == "clauses" })
	if i >= 0 && i%2 == 0 && i+1 < len(top.Content) {
		old := top.Content[i+1]
		// Keep the comments on ids that stay selected.
		if old.Kind == yaml.MappingNode || old.Kind == yaml.SequenceNode {
			for j := 0; j < len(m.Content); j += 2 {
				for k, n := range old.Content {
					if n.Kind == yaml.ScalarNode && n.Value == m.Content[j].Value && (old.Kind == yaml.SequenceNode || k%2 == 0) {
						m.Content[j].HeadComment, m.Content[j].LineComment = n.HeadComment, n.LineComment
						if old.Kind == yaml.MappingNode && k+1 < len(old.Content) && old.Content[k+1].LineComment != "" {
							m.Content[j].LineComment = old.Content[k+1].LineComment
						}
					}
				}
			}
		}
		top.Content[i+1] = m
	} else {
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "clauses", HeadComment: pinComment}
		at := slices.IndexFunc(top.Content, func(n *yaml.Node) bool { return n.Value == "values" })
		if at < 0 || at%2 != 0 {
			at = len(top.Content)
		}
		top.Content = slices.Insert(top.Content, at, key, m)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
