package clause

import (
	"strings"
	"unicode"
)

// Redline compares two renderings of a clause word by word. It diffs the
// canonical texts paragraph by paragraph first (each paragraph is one line
// in the canonical form), then word by word inside changed paragraphs, so
// a moved or rewritten paragraph does not smear across the whole clause.
func Redline(old, new *Rendered) Diff {
	var a, b string
	if old != nil {
		a = old.Text
	}
	if new != nil {
		b = new.Text
	}
	lines := diffTokens(splitLines(a), splitLines(b))
	var out Diff
	for i := 0; i < len(lines); {
		if lines[i].Kind == Equal {
			out = append(out, lines[i])
			i++
			continue
		}
		var del, ins strings.Builder
		for ; i < len(lines) && lines[i].Kind != Equal; i++ {
			if lines[i].Kind == Delete {
				del.WriteString(lines[i].Text)
			} else {
				ins.WriteString(lines[i].Text)
			}
		}
		out = append(out, diffTokens(splitWords(del.String()), splitWords(ins.String()))...)
	}
	return out.merge().cleanup()
}

// cleanup absorbs short equal runs (spaces, or one short word such as
// "the") that sit between two changes into them, so a rewritten sentence
// reads as one deletion and one insertion instead of alternating words.
func (d Diff) cleanup() Diff {
	for {
		changed := false
		for i := 1; i+1 < len(d); i++ {
			op := d[i]
			if op.Kind != Equal || d[i-1].Kind == Equal || d[i+1].Kind == Equal {
				continue
			}
			t := strings.TrimSpace(op.Text)
			if !strings.Contains(op.Text, "\n") && (t == "" || (!strings.Contains(t, " ") && len(t) <= 4)) {
				d = append(d[:i:i], append(Diff{{Delete, op.Text}, {Insert, op.Text}}, d[i+1:]...)...)
				changed = true
			}
		}
		d = d.merge()
		if !changed {
			return d
		}
	}
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// splitWords cuts s into runs of non-space characters and runs of space,
// so that joining the tokens gives s back.
func splitWords(s string) []string {
	var out []string
	start := 0
	prevSpace := false
	for i, r := range s {
		sp := unicode.IsSpace(r)
		if i > 0 && sp != prevSpace {
			out = append(out, s[start:i])
			start = i
		}
		prevSpace = sp
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// maxCells bounds the LCS table; beyond it the texts are shown as replaced
// wholesale rather than spending memory on a finer diff.
const maxCells = 4 << 20

// diffTokens returns the shortest edit script from a to b by the longest
// common subsequence, after stripping the common prefix and suffix.
func diffTokens(a, b []string) Diff {
	var out Diff
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	add := func(k DiffKind, toks []string) {
		if len(toks) > 0 {
			out = append(out, DiffOp{Kind: k, Text: strings.Join(toks, "")})
		}
	}
	add(Equal, a[:p])
	ma, mb := a[p:len(a)-s], b[p:len(b)-s]
	n, m := len(ma), len(mb)
	if n*m > maxCells || n == 0 || m == 0 {
		add(Delete, ma)
		add(Insert, mb)
		add(Equal, a[len(a)-s:])
		return out
	}
	// lcs[i][j] is the LCS length of ma[i:] and mb[j:].
	w := m + 1
	lcs := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if ma[i] == mb[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && ma[i] == mb[j]:
			out = append(out, DiffOp{Equal, ma[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			out = append(out, DiffOp{Delete, ma[i]})
			i++
		default:
			out = append(out, DiffOp{Insert, mb[j]})
			j++
		}
	}
	add(Equal, a[len(a)-s:])
	return out
}

// merge joins neighbouring ops of one kind and puts deletions before
// insertions within each changed run, which reads best in a redline.
func (d Diff) merge() Diff {
	var out Diff
	for i := 0; i < len(d); {
		if d[i].Kind == Equal {
			if len(out) > 0 && out[len(out)-1].Kind == Equal {
				out[len(out)-1].Text += d[i].Text
			} else {
				out = append(out, d[i])
			}
			i++
			continue
		}
		var del, ins strings.Builder
		for ; i < len(d) && d[i].Kind != Equal; i++ {
			if d[i].Kind == Delete {
				del.WriteString(d[i].Text)
			} else {
				ins.WriteString(d[i].Text)
			}
		}
		if del.Len() > 0 {
			out = append(out, DiffOp{Delete, del.String()})
		}
		if ins.Len() > 0 {
			out = append(out, DiffOp{Insert, ins.String()})
		}
	}
	return out
}

// Changed reports whether the diff has any insertion or deletion.
func (d Diff) Changed() bool {
	for _, op := range d {
		if op.Kind != Equal {
			return true
		}
	}
	return false
}

// HTML renders the redline as an HTML fragment: a <div class="redline">
// holding one <p> per paragraph, with <ins> and <del> around changes.
func (d Diff) HTML() string {
	var b strings.Builder
	b.WriteString("<div class=\"redline\">\n<p>")
	for _, op := range d {
		tag := ""
		switch op.Kind {
		case Insert:
			tag = "ins"
		case Delete:
			tag = "del"
		}
		// Paragraph breaks close and reopen the change tag around them.
		paras := strings.Split(op.Text, "\n\n")
		for i, p := range paras {
			if i > 0 {
				b.WriteString("</p>\n<p>")
			}
			if p == "" {
				continue
			}
			p = strings.ReplaceAll(esc(p), "\n", "<br>\n")
			if tag != "" {
				b.WriteString("<" + tag + ">" + p + "</" + tag + ">")
			} else {
				b.WriteString(p)
			}
		}
	}
	b.WriteString("</p>\n</div>\n")
	return strings.ReplaceAll(b.String(), "<p></p>\n", "")
}

// Terminal renders the redline for a terminal: deletions red and struck
// through, insertions green and underlined when color is true; otherwise
// [-deleted-] and {+inserted+} as wdiff prints them.
func (d Diff) Terminal(color bool) string {
	var b strings.Builder
	for _, op := range d {
		switch {
		case op.Kind == Equal:
			b.WriteString(op.Text)
		case color:
			code := "\x1b[32;4m"
			if op.Kind == Delete {
				code = "\x1b[31;9m"
			}
			// Colour each line separately so a pager never carries it over.
			lines := strings.Split(op.Text, "\n")
			for i, l := range lines {
				if i > 0 {
					b.WriteByte('\n')
				}
				if l != "" {
					b.WriteString(code + l + "\x1b[0m")
				}
			}
		case op.Kind == Delete:
			b.WriteString("[-" + op.Text + "-]")
		default:
			b.WriteString("{+" + op.Text + "+}")
		}
	}
	return b.String()
}
