package site

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/obligation"
	"github.com/exitkit/exitkit/site/clause/redline"
)

// project is a Hugo project being laid out in memory.
type project struct {
	files map[string][]byte // slash-separated paths relative to the project root
	pages []pendingPage     // content pages, written by finish
	asOf  time.Time         // the day whose versions in force the site shows as current
}

type pendingPage struct {
	lang, path, name string // path: the page's site path without language, "/clauses/EM-1/"
	fm               frontMatter
	body             string
}

// The site's URL layout. Pages are Hugo sections and bundles at these
// paths, so Hugo's language prefix (/nl/) and translation links follow.
func clausePath(id string) string             { return "/clauses/" + id + "/" }
func versionPath(id, version string) string   { return clausePath(id) + "v" + version + "/" }
func redlinePath(id, version string) string   { return versionPath(id, version) + "redline/" }
func coverageAnchor(ref string) string        { return "ob-" + slug(ref) }
func termAnchor(name string) string           { return "term-" + slug(name) }
func contentFile(lang, p, name string) string { return path.Join("content", lang, p, name) }

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// frontMatter is what every generated page carries. Hugo reads JSON front
// matter, which encoding/json writes deterministically (struct fields in
// order, map keys sorted): one of the things that keeps rebuilds
// byte-identical.
type frontMatter struct {
	Title  string         `json:"title"`
	Layout string         `json:"layout,omitempty"`
	Weight int            `json:"weight,omitempty"`
	Params map[string]any `json:"params,omitempty"`
}

func (p *project) page(lang, dir, name string, fm frontMatter, body string) {
	sitePath := "/"
	if d := strings.Trim(dir, "/"); d != "" {
		sitePath = "/" + d + "/"
	}
	p.pages = append(p.pages, pendingPage{lang: lang, path: sitePath, name: name, fm: fm, body: body})
}

// finish writes the content pages, each with its language switcher: the
// same page in every language where it exists, else that language's home
// page. Computing the links here rather than in the layouts (with Hugo's
// .Translations) keeps the layouts cheap on large libraries.
func (p *project) finish(langs []string) error {
	exists := map[string]bool{}
	for _, pg := range p.pages {
		exists[pg.lang+" "+pg.path] = true
	}
	for _, pg := range p.pages {
		var switcher []map[string]any
		for _, l := range langs {
			name := languageNames[l]
			if name == "" {
				name = l
			}
			target, same := pg.path, true
			if !exists[l+" "+pg.path] {
				target, same = "/", false
			}
			switcher = append(switcher, map[string]any{
				"lang": l, "label": name, "current": l == pg.lang, "translation": same,
				"href": langPrefix(l, langs[0]) + target + "index.html",
			})
		}
		if pg.fm.Params == nil {
			pg.fm.Params = map[string]any{}
		}
		pg.fm.Params["languages"] = switcher
		data, err := json.MarshalIndent(pg.fm, "", "  ")
		if err != nil {
			return fmt.Errorf("lay out %s%s: %w", pg.lang, pg.path, err)
		}
		var b bytes.Buffer
		b.Write(data)
		b.WriteString("\n\n")
		b.WriteString(pg.body)
		p.files[contentFile(pg.lang, pg.path, pg.name)] = b.Bytes()
	}
	return nil
}

// layout writes the Hugo project for lib: configuration, one content page
// per site page, clauses.json, and the layouts, CSS and translations of
// templates (the site/ subtree of the templates filesystem).
func layout(lib *clause.Library, tpl fs.FS, baseURL string, asOf time.Time) (map[string][]byte, error) {
	p := &project{files: map[string][]byte{}, asOf: clause.Day(asOf)}
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--base-url %q: give an absolute http or https URL, such as https://example.com/exit/", baseURL)
		}
	}
	if err := p.copyTemplates(tpl); err != nil {
		return nil, err
	}
	langs := siteLanguages(lib)
	if len(langs) == 0 {
		return nil, fmt.Errorf("lay out the site: %s has no published clause in any language; publish at least one (status: published)", lib.Dir)
	}
	p.files["hugo.toml"] = hugoConfig(lib, langs, baseURL)

	var index []indexEntry
	for _, lang := range langs {
		entries, err := p.language(lib, lang, langs[0])
		if err != nil {
			return nil, err
		}
		index = append(index, entries...)
	}
	if err := p.finish(langs); err != nil {
		return nil, err
	}
	data, err := clausesJSON(index, baseURL, p.asOf)
	if err != nil {
		return nil, err
	}
	p.files["static/clauses.json"] = data
	return p.files, nil
}

// copyTemplates copies templates' site/ folder into the project root:
// layouts/, static/, i18n/ as Hugo expects them.
func (p *project) copyTemplates(tpl fs.FS) error {
	return fs.WalkDir(tpl, "site", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read templates: %w", err)
		}
		if d.IsDir() || d.Name() == ".keep" {
			return nil
		}
		data, err := fs.ReadFile(tpl, name)
		if err != nil {
			return fmt.Errorf("read templates: %w", err)
		}
		p.files[strings.TrimPrefix(name, "site/")] = data
		return nil
	})
}

// siteLanguages lists the languages with at least one published clause,
// English (the prevailing text) first.
func siteLanguages(lib *clause.Library) []string {
	var langs []string
	for _, l := range lib.Languages() {
		if len(lib.Current(l)) > 0 {
			langs = append(langs, l)
		}
	}
	slices.SortStableFunc(langs, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "en":
			return -1
		case b == "en":
			return 1
		}
		return strings.Compare(a, b)
	})
	return langs
}

var languageNames = map[string]string{"en": "English", "nl": "Nederlands", "de": "Deutsch", "fr": "Français"}

func hugoConfig(lib *clause.Library, langs []string, baseURL string) []byte {
	// Hugo's baseURL stays "/": with relativeURLs Hugo would otherwise keep
	// the base URL's path in every relative link. The public base URL is a
	// parameter that the layouts use for canonical links only.
	canonical := ""
	if baseURL != "" {
		canonical = strings.TrimSuffix(baseURL, "/") + "/"
	}
	var b strings.Builder
	// relativeURLs makes every link relative, so the site works from a
	// folder or USB stick as well as from a web server; the layouts also
	// link to index.html explicitly for file:// browsing.
	fmt.Fprintf(&b, `baseURL = %q
relativeURLs = true
disablePathToLower = true
defaultContentLanguage = %q
defaultContentLanguageInSubdir = false
disableDefaultLanguageRedirect = true
disableKinds = ["taxonomy", "term", "rss", "sitemap", "robotsTXT"]
enableGitInfo = false
enableEmoji = false
disableHugoGeneratorInject = true
[outputs]
home = ["html"]
section = ["html"]
page = ["html"]
[markup.goldmark.renderer]
unsafe = false
[params]
`, "/", langs[0])
	// A site.yaml title per language becomes each language's site title.
	fmt.Fprintf(&b, "canonicalBase = %s\n", tomlString(canonical))
	fmt.Fprintf(&b, "provider = %s\n", tomlString(lib.Site.Provider.Name))
	fmt.Fprintf(&b, "providerAddress = %s\n", tomlString(lib.Site.Provider.Address))
	fmt.Fprintf(&b, "providerContact = %s\n", tomlString(lib.Site.Provider.Contact))
	fmt.Fprintf(&b, "providerWebsite = %s\n", tomlString(lib.Site.Provider.Website))
	for i, l := range langs {
		name := cmp.Or(languageNames[l], l)
		title := cmp.Or(lib.Site.Title[l], lib.Site.Title[langs[0]], "Exit terms")
		fmt.Fprintf(&b, "[languages.%s]\nweight = %d\ncontentDir = %q\nlabel = %s\nlocale = %q\ntitle = %s\n",
			l, i+1, "content/"+l, tomlString(name), l, tomlString(title))
	}
	return []byte(b.String())
}

func tomlString(s string) string {
	data, _ := json.Marshal(s) // a JSON string is a valid TOML basic string
	return string(data)
}

// language lays out every page of one language and returns its entries
// for clauses.json.
func (p *project) language(lib *clause.Library, lang, defaultLang string) ([]indexEntry, error) {
	current := lib.InForce(lang, p.asOf)
	obligations := obligationsByRef(lib)

	// Home: the provider's explanation and the clause list, which the
	// layout takes from the clauses section. The explanation is content,
	// not a template: see introHTML.
	intro, err := introHTML(lib.Site.Intro[lang])
	if err != nil {
		return nil, fmt.Errorf("%s: intro (%s): %w", lib.Dir, lang, err)
	}
	p.page(lang, "", "_index.md", frontMatter{
		Title:  lib.Site.Title[lang],
		Params: map[string]any{"glance": atAGlance(current, lang), "intro": intro},
	}, "")
	p.page(lang, "clauses", "_index.md", frontMatter{
		Title:  pageTitle("clauses", lang),
		Layout: "clauses",
	}, "")

	// Every id with a published or superseded version gets a clause page
	// and its version pages; an id whose versions are all superseded is a
	// withdrawn clause, still citable.
	ids := map[string]bool{}
	var order []string
	for _, c := range lib.Clauses {
		if c.Lang == lang && c.Status != clause.StatusDraft && !ids[c.ID] {
			ids[c.ID] = true
			order = append(order, c.ID)
		}
	}
	currentByID := map[string]*clause.Clause{}
	for _, c := range current {
		currentByID[c.ID] = c
	}

	var entries []indexEntry
	for _, id := range order {
		versions := lib.Versions(id, lang)
		if len(versions) == 0 {
			continue
		}
		// Each version page is a permalink that never changes, so its
		// cross-references go to the permalinks of the versions in force
		// when it took effect; the clause page, which moves, links to the
		// clause pages.
		rendered := make([]*clause.Rendered, len(versions))
		for i, c := range versions {
			r, err := c.RenderWith(lib, nil, p.versionRenderOptions(lib, lang, defaultLang, c.Effective))
			if err != nil {
				return nil, fmt.Errorf("render %s: %w", c.File, err)
			}
			rendered[i] = r
		}
		history := lib.History(id, lang, p.asOf)
		state := map[*clause.Clause]clause.VersionState{}
		var upcoming []map[string]any
		for _, st := range history {
			state[st.Clause] = st
			if st.State == clause.StateUpcoming {
				upcoming = append(upcoming, map[string]any{
					"version": st.Clause.Version, "effective": clause.ISODate(st.Clause.Effective),
					"effectiveText": clause.LongDate(st.Clause.Effective, lang), "path": versionPath(id, st.Clause.Version),
				})
			}
		}
		cur := currentByID[id]
		latest := versions[len(versions)-1]
		show := latest
		if cur == nil && len(upcoming) > 0 {
			// Not in force yet: the clause page shows the first version to come.
			for _, st := range history {
				if st.State == clause.StateUpcoming && (show == latest || st.Clause.Effective.Before(show.Effective)) {
					show = st.Clause
				}
			}
		}
		var curRendered *clause.Rendered
		if cur != nil {
			show = cur
			r, err := cur.RenderWith(lib, nil, p.renderOptions(lang, defaultLang))
			if err != nil {
				return nil, fmt.Errorf("render %s: %w", cur.File, err)
			}
			curRendered = r
		}
		withdrawn := cur == nil && len(upcoming) == 0

		versionList := make([]map[string]any, len(versions))
		for i, c := range versions {
			versionList[i] = map[string]any{
				"version":       c.Version,
				"status":        c.Status,
				"effective":     clause.ISODate(c.Effective),
				"effectiveText": clause.LongDate(c.Effective, lang),
				"fingerprint":   rendered[i].Fingerprint,
				"path":          versionPath(id, c.Version),
				"current":       c == cur,
			}
			for k, v := range stateParams(state[c], lang) {
				versionList[i][k] = v
			}
			if i > 0 {
				versionList[i]["redlinePath"] = redlinePath(id, c.Version)
			}
		}

		params := clauseParams(lib, show, obligations, lang)
		params["versions"] = versionList
		for k, v := range stateParams(state[show], lang) {
			params[k] = v
		}
		params["withdrawn"] = withdrawn
		params["path"] = clausePath(id)
		params["upcoming"] = upcoming
		params["asOfText"] = clause.LongDate(p.asOf, lang)
		if cur != nil {
			params["fingerprint"] = curRendered.Fingerprint
			params["body"] = curRendered.HTML
			params["currentPath"] = versionPath(id, cur.Version)
		} else if !withdrawn {
			for i, c := range versions {
				if c == show {
					params["fingerprint"] = rendered[i].Fingerprint
					params["body"] = rendered[i].HTML
					params["currentPath"] = versionPath(id, c.Version)
				}
			}
			params["notYetInForce"] = true
		}
		weight := show.Order
		if withdrawn {
			weight += 100000 // withdrawn clauses list after the current ones
		}
		p.page(lang, clausePath(id), "_index.md", frontMatter{
			Title: show.Title, Layout: "clause", Weight: weight, Params: params,
		}, "")

		for i, c := range versions {
			vp := clauseParams(lib, c, obligations, lang)
			vp["fingerprint"] = rendered[i].Fingerprint
			vp["body"] = rendered[i].HTML
			vp["current"] = c == cur
			for k, v := range stateParams(state[c], lang) {
				vp[k] = v
			}
			vp["asOfText"] = clause.LongDate(p.asOf, lang)
			if cur != nil && c != cur {
				vp["inForceVersion"] = cur.Version
				vp["inForcePath"] = versionPath(id, cur.Version)
			}
			vp["clausePath"] = clausePath(id)
			vp["path"] = versionPath(id, c.Version)
			if i > 0 {
				vp["predecessor"] = versions[i-1].Version
				vp["predecessorPath"] = versionPath(id, versions[i-1].Version)
				vp["redlinePath"] = redlinePath(id, c.Version)
			}
			if i+1 < len(versions) {
				vp["successor"] = versions[i+1].Version
				vp["successorPath"] = versionPath(id, versions[i+1].Version)
			}
			p.page(lang, versionPath(id, c.Version), "_index.md", frontMatter{
				Title: c.Title, Layout: "version", Weight: i + 1, Params: vp,
			}, "")
			if i > 0 {
				prev := versions[i-1]
				diff := redline.Compare(rendered[i-1].Text, rendered[i].Text)
				rp := map[string]any{
					"id":              id,
					"order":           c.Order,
					"from":            prev.Version,
					"to":              c.Version,
					"fromPath":        versionPath(id, prev.Version),
					"toPath":          versionPath(id, c.Version),
					"clausePath":      clausePath(id),
					"fromEffective":   clause.LongDate(prev.Effective, lang),
					"toEffective":     clause.LongDate(c.Effective, lang),
					"fromFingerprint": rendered[i-1].Fingerprint,
					"toFingerprint":   rendered[i].Fingerprint,
					"diff":            diff.HTML(),
					"changed":         diff.Changed(),
				}
				if prev.Title != c.Title {
					rp["fromTitle"] = prev.Title
				}
				p.page(lang, redlinePath(id, c.Version), "index.md", frontMatter{
					Title: c.Title, Layout: "redline", Params: rp,
				}, "")
			}
			entries = append(entries, indexEntry{
				ID: id, Version: c.Version, Lang: lang, Title: c.Title,
				Effective: clause.ISODate(c.Effective), Status: c.Status, Current: c == cur,
				State: state[c].State, Upcoming: state[c].State == clause.StateUpcoming,
				Fingerprint: rendered[i].Fingerprint,
				URL:         langPrefix(lang, defaultLang) + versionPath(id, c.Version),
			})
		}
	}

	p.coverage(lib, lang)
	p.glossary(lib, lang)
	p.changes(lib, lang)
	p.signingKeys(lib, lang)
	return entries, nil
}

// stateParams are a version's state on the build date for the layouts:
// state (in-force, upcoming, superseded, withdrawn) and since, the day it
// began (the successor's effective date for a superseded version).
func stateParams(st clause.VersionState, lang string) map[string]any {
	m := map[string]any{"state": st.State, "since": clause.ISODate(st.Since), "sinceText": clause.LongDate(st.Since, lang)}
	if st.Successor != nil {
		m["successorVersion"] = st.Successor.Version
	}
	return m
}

// versionRenderOptions links the cross-references of a version page to the
// permalink of each target's version in force on date (the referring
// version's effective date), or to the target's clause page when none was.
func (p *project) versionRenderOptions(lib *clause.Library, lang, defaultLang string, date time.Time) clause.RenderOptions {
	return clause.RenderOptions{XRefURL: func(id string) string {
		if v := lib.VersionOn(id, lang, date); v != nil {
			return langPrefix(lang, defaultLang) + versionPath(id, v.Version) + "index.html"
		}
		return langPrefix(lang, defaultLang) + clausePath(id) + "index.html"
	}}
}

// intro renders the site's explanation: Markdown without raw HTML.
var intro = goldmark.New(goldmark.WithExtensions(extension.GFM, extension.DefinitionList, extension.Typographer))

// introHTML renders site.yaml's intro (Markdown) to HTML for the home
// page's params.intro. It is content, so nothing in it may run: Hugo never
// sees it as a page body, where it would execute shortcodes ({{< >}},
// {{% %}}), and goldmark drops raw HTML and disarms dangerous links. Every
// page body Hugo gets is empty: all content reaches the layouts as data.
func introHTML(md string) (string, error) {
	var b bytes.Buffer
	if err := intro.Convert([]byte(md), &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// renderOptions links cross-references to the clause pages of lang, as
// root-relative URLs that Hugo's relativeURLs turns into relative ones.
func (p *project) renderOptions(lang, defaultLang string) clause.RenderOptions {
	return clause.RenderOptions{XRefURL: func(id string) string {
		return langPrefix(lang, defaultLang) + clausePath(id) + "index.html"
	}}
}

// keyParams are the values a customer looks for first, in the order the
// home page shows them.
var keyParams = []string{
	"notice_period_days", "transition_period_days", "retrieval_period_days",
	"erasure_period_days", "switching_charge_eur", "trustee_access", "export_formats",
}

// atAGlance lists the default of each key parameter with its description
// and the clause that sets it: the home page's summary of the commitments.
func atAGlance(current []*clause.Clause, lang string) []map[string]any {
	var out []map[string]any
	for _, name := range keyParams {
	search:
		for _, c := range current {
			for _, prm := range c.Params {
				if prm.Name == name && prm.Default != nil {
					out = append(out, map[string]any{
						"name": name, "description": prm.Description, "value": prm.FormatValue(prm.Default, lang),
						"clauseId": c.ID, "order": c.Order, "path": clausePath(c.ID),
					})
					break search
				}
			}
		}
	}
	return out
}

func langPrefix(lang, defaultLang string) string {
	if lang == defaultLang {
		return ""
	}
	return "/" + lang
}

func obligationsByRef(lib *clause.Library) map[string]obligation.Obligation {
	m := make(map[string]obligation.Obligation, len(lib.Obligations))
	for _, o := range lib.Obligations {
		m[o.Ref] = o
	}
	return m
}

// clauseParams are the fields a clause and a version page share.
func clauseParams(lib *clause.Library, c *clause.Clause, obligations map[string]obligation.Obligation, lang string) map[string]any {
	covers := make([]map[string]any, 0, len(c.Covers))
	for _, ref := range c.Covers {
		o, ok := obligations[ref]
		entry := map[string]any{"ref": ref, "anchor": coverageAnchor(ref)}
		if ok {
			entry["regulation"] = o.Regulation
			entry["article"] = o.Article
			entry["duty"] = o.DutyText(lang)
		}
		covers = append(covers, entry)
	}
	params := map[string]any{
		"id":              c.ID,
		"order":           c.Order,
		"version":         c.Version,
		"status":          c.Status,
		"effective":       clause.ISODate(c.Effective),
		"effectiveText":   clause.LongDate(c.Effective, lang),
		"summary":         c.Summary,
		"covers":          covers,
		"translationNote": c.TranslationNote,
		"definitions":     c.Definitions,
	}
	var ps []map[string]any
	for _, prm := range c.Params {
		ps = append(ps, map[string]any{
			"name":        prm.Name,
			"type":        prm.Type,
			"description": prm.Description,
			"default":     prm.FormatValue(prm.Default, lang),
			"required":    prm.Required,
		})
	}
	if len(ps) > 0 {
		params["parameters"] = ps
	}
	return params
}

func (p *project) coverage(lib *clause.Library, lang string) {
	var rows []map[string]any
	gaps := 0
	for _, row := range lib.CoverageOn(lang, p.asOf) {
		o := row.Obligation
		var cs []map[string]any
		for _, c := range row.Clauses {
			cs = append(cs, map[string]any{
				"id": c.ID, "order": c.Order, "title": c.Title, "path": clausePath(c.ID),
			})
		}
		gap := o.OwedByProvider && len(cs) == 0
		if gap {
			gaps++
		}
		rows = append(rows, map[string]any{
			"ref":        o.Ref,
			"anchor":     coverageAnchor(o.Ref),
			"regulation": o.Regulation,
			"article":    o.Article,
			"duty":       o.DutyText(lang),
			"figure":     o.Figure,
			"owed":       o.OwedByProvider,
			"clauses":    cs,
			"gap":        gap,
		})
	}
	var regs []string
	for _, r := range rows {
		if reg := r["regulation"].(string); !slices.Contains(regs, reg) {
			regs = append(regs, reg)
		}
	}
	p.page(lang, "coverage", "index.md", frontMatter{
		Title:  pageTitle("coverage", lang),
		Layout: "coverage",
		Params: map[string]any{"rows": rows, "regulations": regs, "gaps": gaps},
	}, "")
}

func (p *project) glossary(lib *clause.Library, lang string) {
	terms := lib.GlossaryOn(lang, p.asOf)
	sort.SliceStable(terms, func(i, j int) bool {
		return strings.ToLower(terms[i].Name) < strings.ToLower(terms[j].Name)
	})
	var ts []map[string]any
	seen := map[string]int{}
	for _, t := range terms {
		base := termAnchor(t.Name)
		seen[base]++
		anchor := base
		if seen[base] > 1 {
			anchor = fmt.Sprintf("%s-%d", base, seen[base])
		}
		ts = append(ts, map[string]any{
			"name": t.Name, "anchor": anchor, "definition": t.Definition,
			"clauseId": t.ClauseID, "clausePath": clausePath(t.ClauseID),
		})
	}
	p.page(lang, "glossary", "index.md", frontMatter{
		Title:  pageTitle("glossary", lang),
		Layout: "glossary",
		Params: map[string]any{"terms": ts},
	}, "")
}

func (p *project) changes(lib *clause.Library, lang string) {
	var entries []map[string]any
	log := slices.Clone(lib.Site.Changelog)
	sort.SliceStable(log, func(i, j int) bool { return log[i].Date.After(log[j].Date) })
	for _, c := range log {
		entries = append(entries, map[string]any{
			"date": clause.ISODate(c.Date), "dateText": clause.LongDate(c.Date, lang), "text": cmp.Or(c.Text[lang], c.Text["en"]),
		})
	}
	// Every published or superseded version, newest first: the clause
	// history a reader can check without trusting the prose above.
	var versions []*clause.Clause
	for _, c := range lib.Clauses {
		if c.Lang == lang && (c.Status == clause.StatusPublished || c.Status == clause.StatusSuperseded) {
			versions = append(versions, c)
		}
	}
	sort.SliceStable(versions, func(i, j int) bool {
		if !versions[i].Effective.Equal(versions[j].Effective) {
			return versions[i].Effective.After(versions[j].Effective)
		}
		if versions[i].Order != versions[j].Order {
			return versions[i].Order < versions[j].Order
		}
		return versions[i].ID < versions[j].ID
	})
	var vs []map[string]any
	for _, c := range versions {
		prev := ""
		vv := lib.Versions(c.ID, lang)
		for i, o := range vv {
			if o == c && i > 0 {
				prev = vv[i-1].Version
			}
		}
		v := map[string]any{
			"id": c.ID, "order": c.Order, "title": c.Title, "version": c.Version, "status": c.Status,
			"effective": clause.ISODate(c.Effective), "effectiveText": clause.LongDate(c.Effective, lang),
			"path": versionPath(c.ID, c.Version),
		}
		for _, st := range lib.History(c.ID, lang, p.asOf) {
			if st.Clause == c {
				for k, x := range stateParams(st, lang) {
					v[k] = x
				}
			}
		}
		if prev != "" {
			v["predecessor"] = prev
			v["redlinePath"] = redlinePath(c.ID, c.Version)
		}
		vs = append(vs, v)
	}
	p.page(lang, "changes", "index.md", frontMatter{
		Title:  pageTitle("changes", lang),
		Layout: "changes",
		Params: map[string]any{"entries": entries, "versions": vs},
	}, "")
}

func (p *project) signingKeys(lib *clause.Library, lang string) {
	var keys []map[string]any
	for _, k := range lib.Site.SigningKeys {
		keys = append(keys, map[string]any{
			"fingerprint": k.Fingerprint, "comment": k.Comment, "publicKey": k.PublicKey,
			"validFrom": clause.ISODate(k.ValidFrom), "validFromText": clause.LongDate(k.ValidFrom, lang),
		})
	}
	p.page(lang, "signing-keys", "index.md", frontMatter{
		Title:  pageTitle("keys", lang),
		Layout: "keys",
		Params: map[string]any{"keys": keys},
	}, "")
}

// indexEntry is one clause version in clauses.json.
type indexEntry struct {
	ID          string `json:"id"`
	Version     string `json:"version"`
	Lang        string `json:"lang"`
	Title       string `json:"title"`
	Effective   string `json:"effective"`
	Status      string `json:"status"`
	State       string `json:"state"`              // on the build date: in-force, upcoming, superseded, withdrawn
	Current     bool   `json:"current"`            // in force on the build date
	Upcoming    bool   `json:"upcoming,omitempty"` // takes effect after the build date, on effective
	Fingerprint string `json:"fingerprint"`
	URL         string `json:"url"`
}

// clausesJSON is the machine-readable index. URLs are absolute when the
// site has a base URL, else relative to the site root.
func clausesJSON(entries []indexEntry, baseURL string, asOf time.Time) ([]byte, error) {
	// Stable: each clause keeps Versions' oldest-first order.
	slices.SortStableFunc(entries, func(a, b indexEntry) int {
		return cmp.Or(cmp.Compare(a.Lang, b.Lang), cmp.Compare(a.ID, b.ID))
	})
	base := strings.TrimSuffix(baseURL, "/")
	for i := range entries {
		entries[i].URL = base + entries[i].URL
	}
	doc := struct {
		Format  string       `json:"format"`
		AsOf    string       `json:"as_of"` // the day current and upcoming refer to
		Clauses []indexEntry `json:"clauses"`
	}{"exitkit-clauses/1", clause.ISODate(asOf), entries}
	if doc.Clauses == nil {
		doc.Clauses = []indexEntry{}
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// pageTitles are the titles of the fixed pages. They are data rather than
// i18n strings in the layouts because Hugo needs a page's title for links
// and the language switcher.
var pageTitles = map[string]map[string]string{
	"clauses":  {"en": "All clauses and versions", "nl": "Alle artikelen en versies"},
	"coverage": {"en": "Compliance matrix", "nl": "Nalevingsmatrix"},
	"glossary": {"en": "Glossary", "nl": "Begrippenlijst"},
	"changes":  {"en": "Change log", "nl": "Wijzigingslogboek"},
	"keys":     {"en": "Bundle signing keys", "nl": "Ondertekeningssleutels voor exportbundels"},
}

func pageTitle(page, lang string) string {
	if t := pageTitles[page][lang]; t != "" {
		return t
	}
	return pageTitles[page]["en"]
}
