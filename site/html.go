package site

import (
	"github.com/exitkit/exitkit/site/clause"
)

// siteHTML adapts a clause's HTML fragment to the site.
func siteHTML(fragment string) string {
	return fragment
}

func redlineHTML(d clause.Diff) string { return d.HTML() }

// diffChanged reports whether a redline has any change at all: a new
// version can differ only in its metadata (effective date, covers).
func diffChanged(d clause.Diff) bool {
	for _, op := range d {
		if op.Kind != clause.Equal {
			return true
		}
	}
	return false
}
