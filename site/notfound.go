package site

import (
	"net/url"
	"path"
	"regexp"
	"strings"
)

// A web server shows 404.html for any missing URL, however deep, so its
// relative links (./css/site.css) would resolve against the missing page
// and break the style and navigation. With a base URL, absoluteLinks
// makes them absolute; without one, the site has no address to point them
// at and they stay relative (right for a folder or USB stick, where no
// server shows 404.html anyway).
var linkAttr = regexp.MustCompile(`\b(href|src)="([^"]*)"`)

func absoluteLinks(files map[string][]byte, baseURL string) error {
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/") + "/")
	if err != nil {
		return err
	}
	for name, data := range files {
		if path.Base(name) != "404.html" {
			continue
		}
		dir := path.Dir(name)
		pageURL := base.JoinPath(name)
		if dir == "." {
			pageURL = base.JoinPath("404.html")
		}
		files[name] = linkAttr.ReplaceAllFunc(data, func(m []byte) []byte {
			sub := linkAttr.FindSubmatch(m)
			ref := string(sub[2])
			if ref == "" || strings.HasPrefix(ref, "#") {
				return m
			}
			u, err := url.Parse(strings.ReplaceAll(ref, "&amp;", "&"))
			if err != nil || u.IsAbs() || u.Host != "" {
				return m
			}
			abs := pageURL.ResolveReference(u).String()
			return []byte(string(sub[1]) + `="` + strings.ReplaceAll(abs, "&", "&amp;") + `"`)
		})
	}
	return nil
}
