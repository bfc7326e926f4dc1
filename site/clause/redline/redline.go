// Package redline compares two versions of a clause the way a lawyer reads
// a redline: paragraph by paragraph, then sentence by sentence, and word by
// word only inside a sentence that was edited rather than rewritten.
//
// Call Compare with the canonical texts of two renderings (clause
// Rendered.Text), then Diff.HTML for the site or Diff.Terminal for a
// shell. A paragraph or sentence that shares less than half its words with
// its counterpart is shown deleted and inserted whole, so a rewritten
// paragraph reads as old text struck through and new text underlined, not
// as alternating fragments. Headings and list items keep their form: the
// HTML has headings, lists and paragraphs, never raw Markdown markers.
package redline

import (
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind says what an Op or a Block does.
type Kind int

const (
	Equal Kind = iota
	Insert
	Delete
	Modified // a block whose text changed in part; its Ops say how
)

// Op is one run of equal, inserted or deleted text inside a block.
type Op struct {
	Kind Kind
	Text string
}

// Block is one paragraph, heading, list item, condition label or code
// block of the compared texts.
type Block struct {
	Type   string // "p", "h", "li", "label", "quote", "code"
	Level  int    // heading level; list nesting (0 outermost)
	Marker string // list marker of the newer text: "-" or "3."
	Change Kind
	Ops    []Op
}

// Diff is a redline. Title holds the first lines ("# ID Title vX")
// compared; Blocks the body.
type Diff struct {
	Title  []Op
	Blocks []Block
}

// Changed reports whether the body changed (the title always does: it
// names the version).
func (d Diff) Changed() bool {
	for _, b := range d.Blocks {
		if b.Change != Equal {
			return true
		}
	}
	return false
}

// unit is one block of a canonical text.
type unit struct {
	typ, marker, text string
	level             int
	raw               string // the whole line(s), for equality
}

var (
	reHeading = regexp.MustCompile(`^(#{1,6}) (.*)$`)
	reOrdered = regexp.MustCompile(`^(\d{1,9}[.)]) (.*)$`)
	reLabel   = regexp.MustCompile(`^\[[^\]]*:?\]$`)
)

// units splits a canonical text into blocks, one per line, except code
// fences, which are one block.
func units(s string) (title string, out []unit) {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "# ") {
		title, lines = strings.TrimPrefix(lines[0], "# "), lines[1:]
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.TrimSpace(line) == "" {
			continue
		}
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		u := unit{raw: line, level: indent / 2}
		switch m := reHeading.FindStringSubmatch(trimmed); {
		case strings.HasPrefix(trimmed, "```"):
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[j], " "), "```") {
				j++
			}
			end := min(j, len(lines)-1)
			u.typ, u.raw = "code", strings.Join(lines[i:end+1], "\n")
			u.text = strings.Join(lines[i+1:min(j, len(lines))], "\n")
			i = end
		case m != nil && indent == 0:
			u.typ, u.level, u.text = "h", len(m[1]), m[2]
		case strings.HasPrefix(trimmed, "- "):
			u.typ, u.marker, u.text = "li", "-", trimmed[2:]
		case reOrdered.MatchString(trimmed):
			m := reOrdered.FindStringSubmatch(trimmed)
			u.typ, u.marker, u.text = "li", m[1], m[2]
		case strings.HasPrefix(trimmed, "> ") || trimmed == ">":
			u.typ, u.text = "quote", strings.TrimPrefix(strings.TrimPrefix(trimmed, ">"), " ")
		case reLabel.MatchString(trimmed):
			u.typ, u.text = "label", trimmed
		default:
			u.typ, u.text = "p", trimmed
		}
		out = append(out, u)
	}
	return title, out
}

// Compare returns the redline from old to new, two canonical clause texts.
func Compare(old, new string) Diff {
	ta, a := units(old)
	tb, b := units(new)
	d := Diff{Title: inline(ta, tb)}
	eq := func(i, j int) bool { return a[i].raw == b[j].raw }
	sim := func(i, j int) bool { return a[i].typ == b[j].typ && similar(a[i].text, b[j].text) }
	for _, s := range script(len(a), len(b), eq, sim) {
		switch {
		case s.i >= 0 && s.j >= 0 && eq(s.i, s.j):
			d.Blocks = append(d.Blocks, block(b[s.j], Equal, []Op{{Equal, b[s.j].text}}))
		case s.i >= 0 && s.j >= 0:
			d.Blocks = append(d.Blocks, block(b[s.j], Modified, inline(a[s.i].text, b[s.j].text)))
		case s.i >= 0:
			d.Blocks = append(d.Blocks, block(a[s.i], Delete, []Op{{Delete, a[s.i].text}}))
		default:
			d.Blocks = append(d.Blocks, block(b[s.j], Insert, []Op{{Insert, b[s.j].text}}))
		}
	}
	return d
}

func block(u unit, k Kind, ops []Op) Block {
	return Block{Type: u.typ, Level: u.level, Marker: u.marker, Change: k, Ops: ops}
}

// step is one step of an alignment: i and j index the old and new items;
// -1 means none (an insertion or a deletion). A step with both set is an
// equal item or, when the items differ, a pair of similar ones.
type step struct{ i, j int }

// script aligns two sequences: items that are equal by eq stay, and inside
// each changed run, items similar enough (see pair) are paired, the rest
// deleted or inserted.
func script(n, m int, eq, sim func(i, j int) bool) []step {
	var out []step
	lcs := table(n, m, eq)
	i, j := 0, 0
	var di, dj []int
	flush := func() {
		out = append(out, pairRun(di, dj, sim)...)
		di, dj = nil, nil
	}
	for i < n || j < m {
		switch {
		case i < n && j < m && eq(i, j) && (lcs == nil || lcs[i][j] == lcs[i+1][j+1]+1):
			flush()
			out = append(out, step{i, j})
			i, j = i+1, j+1
		case i < n && (j == m || lcs == nil || lcs[i+1][j] >= lcs[i][j+1]):
			di = append(di, i)
			i++
		default:
			dj = append(dj, j)
			j++
		}
	}
	flush()
	return out
}

// maxCells bounds an LCS table, and maxPairs the similarity tests in one
// changed run; beyond them, texts are shown replaced whole, so time and
// memory stay bounded whatever the input.
const (
	maxCells = 4 << 20
	maxPairs = 4096
)

func table(n, m int, eq func(i, j int) bool) [][]int32 {
	if (n+1)*(m+1) > maxCells {
		return nil
	}
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if eq(i, j) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	return lcs
}

// pairRun pairs the deleted items di with the inserted items dj, in order,
// where sim says they are versions of one another.
func pairRun(di, dj []int, sim func(i, j int) bool) []step {
	var out []step
	if len(di)*len(dj) > maxPairs {
		// Too many to compare: shown replaced whole.
		for _, i := range di {
			out = append(out, step{i, -1})
		}
		for _, j := range dj {
			out = append(out, step{-1, j})
		}
		return out
	}
	k := 0
	for _, i := range di {
		// The next inserted item similar to this deleted one, if any.
		found := -1
		for x := k; x < len(dj); x++ {
			if sim(i, dj[x]) {
				found = x
				break
			}
		}
		if found < 0 {
			out = append(out, step{i, -1})
			continue
		}
		for ; k < found; k++ {
			out = append(out, step{-1, dj[k]})
		}
		out = append(out, step{i, dj[k]})
		k++
	}
	for ; k < len(dj); k++ {
		out = append(out, step{-1, dj[k]})
	}
	return out
}

// words cuts s into runs of non-space and runs of space, so that joining
// them gives s back.
func words(s string) []string {
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

// similar reports whether a and b share at least half their words (by
// the longest common subsequence): an edit of one text, not a rewrite.
func similar(a, b string) bool {
	wa, wb := bare(a), bare(b)
	if len(wa) == 0 || len(wb) == 0 {
		return len(wa) == len(wb)
	}
	lcs := table(len(wa), len(wb), func(i, j int) bool { return wa[i] == wb[j] })
	if lcs == nil {
		return false
	}
	return 4*int(lcs[0][0]) >= len(wa)+len(wb)
}

// bare returns the words of s without punctuation, in lower case, for
// comparing texts by their words.
func bare(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// sentences cuts a paragraph after each sentence end (., ?, ! before a
// capital, a quote or a parenthesis) and after each ; and :, the
// space staying with the sentence before it.
func sentences(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !strings.ContainsRune(".?!;:", r) {
			continue
		}
		j := i
		for j < len(s) && s[j] == ')' || j < len(s) && s[j] == '"' {
			j++
		}
		if j >= len(s) || s[j] != ' ' {
			continue
		}
		k := j
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k >= len(s) {
			break
		}
		next, _ := utf8.DecodeRuneInString(s[k:])
		if r == ';' || r == ':' || unicode.IsUpper(next) || strings.ContainsRune("(\"“[", next) {
			out = append(out, s[start:k])
			start = k
			i = k
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// inline compares two texts of one block: sentence by sentence, and word
// by word inside a sentence that was edited.
func inline(a, b string) []Op {
	if a == b {
		return []Op{{Equal, a}}
	}
	sa, sb := sentences(a), sentences(b)
	eq := func(i, j int) bool { return sa[i] == sb[j] }
	// Trailing spaces differ between a last and a middle sentence.
	sim := func(i, j int) bool { return similar(sa[i], sb[j]) }
	var ops []Op
	for _, s := range script(len(sa), len(sb), eq, sim) {
		switch {
		case s.i >= 0 && s.j >= 0 && eq(s.i, s.j):
			ops = append(ops, Op{Equal, sb[s.j]})
		case s.i >= 0 && s.j >= 0:
			ops = append(ops, wordDiff(sa[s.i], sb[s.j])...)
		case s.i >= 0:
			ops = append(ops, Op{Delete, sa[s.i]})
		default:
			ops = append(ops, Op{Insert, sb[s.j]})
		}
	}
	return merge(ops)
}

// wordDiff is the word-level diff of two versions of one sentence.
func wordDiff(a, b string) []Op {
	wa, wb := words(a), words(b)
	var ops []Op
	eq := func(i, j int) bool { return wa[i] == wb[j] }
	lcs := table(len(wa), len(wb), eq)
	if lcs == nil {
		return []Op{{Delete, a}, {Insert, b}}
	}
	i, j := 0, 0
	for i < len(wa) || j < len(wb) {
		switch {
		case i < len(wa) && j < len(wb) && eq(i, j) && lcs[i][j] == lcs[i+1][j+1]+1:
			ops = append(ops, Op{Equal, wa[i]})
			i, j = i+1, j+1
		case i < len(wa) && (j == len(wb) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, Op{Delete, wa[i]})
			i++
		default:
			ops = append(ops, Op{Insert, wb[j]})
			j++
		}
	}
	return cleanup(merge(ops))
}

// merge joins neighbouring ops of one kind and puts deletions before
// insertions within each changed run, which reads best in a redline.
func merge(d []Op) []Op {
	var out []Op
	for i := 0; i < len(d); {
		if d[i].Kind == Equal {
			if len(out) > 0 && out[len(out)-1].Kind == Equal {
				out[len(out)-1].Text += d[i].Text
			} else if d[i].Text != "" {
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
			out = append(out, Op{Delete, del.String()})
		}
		if ins.Len() > 0 {
			out = append(out, Op{Insert, ins.String()})
		}
	}
	return out
}

// cleanup absorbs short equal runs (spaces, or one short word such as
// "the") between two changes into them, so an edited phrase reads as one
// deletion and one insertion instead of alternating words.
func cleanup(d []Op) []Op {
	for {
		changed := false
		for i := 1; i+1 < len(d); i++ {
			op := d[i]
			if op.Kind != Equal || d[i-1].Kind == Equal || d[i+1].Kind == Equal {
				continue
			}
			t := strings.TrimSpace(op.Text)
			if t == "" || (!strings.Contains(t, " ") && len(t) <= 4) {
				d = append(d[:i:i], append([]Op{{Delete, op.Text}, {Insert, op.Text}}, d[i+1:]...)...)
				changed = true
			}
		}
		d = merge(d)
		if !changed {
			return d
		}
	}
}

func esc(s string) string { return html.EscapeString(s) }

// opsHTML renders inline ops; emphasis markers (** and *) of the canonical
// text are dropped, the words they mark stay.
func opsHTML(ops []Op) string {
	var b strings.Builder
	for _, op := range ops {
		t := strings.ReplaceAll(esc(strings.ReplaceAll(op.Text, "**", "")), "\n", "<br>\n")
		switch op.Kind {
		case Insert:
			b.WriteString("<ins>" + t + "</ins>")
		case Delete:
			b.WriteString("<del>" + t + "</del>")
		default:
			b.WriteString(t)
		}
	}
	return b.String()
}

// HTML renders the body of the redline as an HTML fragment, a <div
// class="redline"> of paragraphs, headings and lists. A block inserted or
// deleted whole has the class ins-block or del-block.
func (d Diff) HTML() string {
	var b strings.Builder
	b.WriteString("<div class=\"redline\">\n")
	list := "" // the open list element, "ul" or "ol"
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	for _, blk := range d.Blocks {
		cls := ""
		switch blk.Change {
		case Insert:
			cls = ` class="ins-block"`
		case Delete:
			cls = ` class="del-block"`
		}
		body := opsHTML(blk.Ops)
		if blk.Type != "li" {
			closeList()
		}
		switch blk.Type {
		case "li":
			kind, value := "ul", ""
			if n, err := strconv.Atoi(strings.TrimRight(blk.Marker, ".)")); err == nil {
				kind, value = "ol", fmt.Sprintf(` value="%d"`, n)
			}
			if list != kind && !(list != "" && blk.Level > 0) {
				closeList()
				b.WriteString("<" + kind + ">\n")
				list = kind
			}
			if blk.Level > 0 {
				cls = strings.TrimSuffix(cls, `"`)
				if cls == "" {
					cls = ` class="`
				} else {
					cls += " "
				}
				cls += fmt.Sprintf(`nested-%d"`, min(blk.Level, 4))
			}
			fmt.Fprintf(&b, "<li%s%s>%s</li>\n", value, cls, body)
		case "h":
			n := min(max(blk.Level, 2), 6)
			fmt.Fprintf(&b, "<h%d%s>%s</h%d>\n", n, cls, body, n)
		case "label":
			fmt.Fprintf(&b, "<p class=\"cond%s\">%s</p>\n", strings.TrimSuffix(strings.TrimPrefix(cls, ` class="`), `"`), body)
		case "quote":
			fmt.Fprintf(&b, "<blockquote%s><p>%s</p></blockquote>\n", cls, body)
		case "code":
			fmt.Fprintf(&b, "<pre%s><code>%s</code></pre>\n", cls, body)
		default:
			fmt.Fprintf(&b, "<p%s>%s</p>\n", cls, body)
		}
	}
	closeList()
	b.WriteString("</div>\n")
	return strings.ReplaceAll(b.String(), `class="cond "`, `class="cond"`)
}

// Terminal renders the whole redline, title first, as canonical text:
// deletions red and struck through, insertions green and underlined when
// color is true; otherwise [-deleted-] and {+inserted+} as wdiff prints
// them.
func (d Diff) Terminal(color bool) string {
	var b strings.Builder
	if len(d.Title) > 0 {
		b.WriteString("# ")
		writeOps(&b, d.Title, color)
		b.WriteString("\n")
	}
	prev := ""
	for i, blk := range d.Blocks {
		if i > 0 || len(d.Title) > 0 {
			if !(blk.Type == "li" && prev == "li") {
				b.WriteString("\n")
			}
		}
		prev = blk.Type
		switch blk.Type {
		case "h":
			b.WriteString(strings.Repeat("#", blk.Level) + " ")
		case "li":
			b.WriteString(strings.Repeat("  ", blk.Level) + blk.Marker + " ")
		case "quote":
			b.WriteString("> ")
		case "code":
			b.WriteString("```\n")
		}
		writeOps(&b, blk.Ops, color)
		if blk.Type == "code" {
			b.WriteString("\n```")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// controls are the characters a clause file should never hold and a
// terminal must never receive raw: they are printed as \x.. escapes.
var controls = regexp.MustCompile(`[\x00-\x08\x0b-\x1f\x7f]`)

func writeOps(b *strings.Builder, ops []Op, color bool) {
	for _, op := range ops {
		op.Text = controls.ReplaceAllStringFunc(op.Text, func(c string) string { return fmt.Sprintf("\\x%02x", c[0]) })
		switch {
		case op.Kind == Equal:
			b.WriteString(op.Text)
		case color:
			code := "\x1b[32;4m"
			if op.Kind == Delete {
				code = "\x1b[31;9m"
			}
			// Colour each line separately so a pager never carries it over.
			for i, l := range strings.Split(op.Text, "\n") {
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
}
