// Package htmltest reads the HTML that the site and module tests check:
// which elements, ids and links a page has.
package htmltest

import (
	"bytes"

	"golang.org/x/net/html"
)

// Page is what Scan found in one HTML document.
type Page struct {
	Elements []string        // start tag names, in order
	IDs      map[string]bool // every id attribute
	Links    []string        // every href and src, in order
}

// Scan tokenizes data; it never fails, HTML being parsed leniently.
func Scan(data []byte) Page {
	p := Page{IDs: map[string]bool{}}
	z := html.NewTokenizer(bytes.NewReader(data))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return p
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			p.Elements = append(p.Elements, tok.Data)
			for _, a := range tok.Attr {
				switch a.Key {
				case "id":
					p.IDs[a.Val] = true
				case "href", "src":
					p.Links = append(p.Links, a.Val)
				}
			}
		}
	}
}
