package index

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// deadlineParams are the module parameters whose values set what a
// trustee must do by when, in the order the index states them. The
// module is HTML for people; its only machine-readable values are the
// data-param markers the clause renderer puts on every filled-in value
// (<span class="value" data-param="NAME">VALUE</span>), so these are read.
var deadlineParams = []struct {
	name, unit string
	say        func(v string) string
}{
	{"media_verification_working_days", "Working Days", func(v string) string {
		return "Verify the bundle within " + v + " after you receive the drive and confirm the result to the provider in writing. Until you confirm, or that period has passed without objection, the provider must not erase the customer's data."
	}},
	{"acceptance_period_working_days", "Working Days", func(v string) string {
		return "Object in writing within " + v + " after the provider's written notice that a complete, verifiable bundle was delivered; without an objection the switch counts as completed."
	}},
	{"retrieval_period_days", "days", func(v string) string {
		return "Retrieval period: " + v + " after the transition period ends; after it the provider may start erasing."
	}},
	{"erasure_period_days", "days", func(v string) string {
		return "Erasure: the provider erases the customer's data (backups included) within " + v + " after erasure begins, and says when it is done."
	}},
}

// maxTermsValue bounds one value read from TERMS.html.
const maxTermsValue = 200

// TermsValues reads, from an exitsite contract module, the values of the
// parameters that set a trustee's deadlines (see deadlineParams), for
// manifest.Terms.Values. The first occurrence of each counts; a module
// without them gives an empty map.
func TermsValues(module []byte) map[string]string {
	want := map[string]bool{}
	for _, p := range deadlineParams {
		want[p.name] = true
	}
	out := map[string]string{}
	z := html.NewTokenizer(bytes.NewReader(module))
	z.SetMaxBuf(4 << 20)
	var into string
	var text strings.Builder
	depth := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken: // io.EOF, or a malformed document: what was read counts
			return out
		case html.StartTagToken:
			if into != "" {
				depth++
				continue
			}
			name, hasAttr := z.TagName()
			if string(name) != "span" || !hasAttr {
				continue
			}
			var param, class string
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "data-param":
					param = string(v)
				case "class":
					class = string(v)
				}
				if !more {
					break
				}
			}
			if class == "value" && want[param] {
				if _, seen := out[param]; !seen {
					into, depth = param, 0
					text.Reset()
				}
			}
		case html.EndTagToken:
			if into == "" {
				continue
			}
			if depth > 0 {
				depth--
				continue
			}
			v := strings.Join(strings.Fields(plainText(text.String())), " ")
			if v != "" && len(v) <= maxTermsValue {
				out[into] = v
			}
			into = ""
		case html.TextToken:
			if into != "" && text.Len() <= maxTermsValue {
				text.Write(z.Text())
			}
		}
	}
}

// deadlines turns the recorded values into sentences for the index.
func deadlines(values map[string]string) []string {
	var out []string
	for _, p := range deadlineParams {
		v, ok := values[p.name]
		if !ok {
			continue
		}
		if !strings.ContainsAny(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			v += " " + p.unit
		}
		out = append(out, p.say(v))
	}
	return out
}
