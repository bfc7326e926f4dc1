package clause

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// withEM2v11 is the fixture library with EM-2 1.1.0 published in both
// languages, effective 2027-06-01, after the fixture profile's 2027-02-01;
// the edits add more.
func withEM2v11(t *testing.T, edits ...edit) string {
	t.Helper()
	var add []edit
	for _, f := range []string{em2en, em2nl} {
		data, err := os.ReadFile(filepath.Join("testdata/lib", f))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(data), "version: 1.0.0", "version: 1.1.0", 1)
		s = strings.Replace(s, "effective: 2027-02-01", "effective: 2027-06-01", 1)
		s = strings.Replace(s, "2.1 ", "2.1 From June: ", 1)
		add = append(add, edit{file: strings.Replace(f, "v1.0.0", "v1.1.0", 1), new: s})
	}
	return fixture(t, append(add, edits...)...)
}

func TestHistoryGivesEachVersionItsStateOnADay(t *testing.T) {
	l := load(t, withEM2v11(t))
	tests := []struct {
		day              string
		v100, v110       string
		v100since, inFor string
	}{
		{"2027-01-31", StateUpcoming, StateUpcoming, "2027-02-01", ""},
		{"2027-02-01", StateInForce, StateUpcoming, "2027-02-01", "1.0.0"},
		{"2027-05-31", StateInForce, StateUpcoming, "2027-02-01", "1.0.0"},
		{"2027-06-01", StateSuperseded, StateInForce, "2027-06-01", "1.1.0"},
	}
	for _, tc := range tests {
		t.Run(tc.day, func(t *testing.T) {
			h := l.History("EM-2", "en", day(tc.day))
			if len(h) != 2 || h[0].Clause.Version != "1.0.0" || h[1].Clause.Version != "1.1.0" {
				t.Fatalf("history %+v", h)
			}
			if h[0].State != tc.v100 || h[1].State != tc.v110 || ISODate(h[0].Since) != tc.v100since {
				t.Errorf("1.0.0 %s since %s, 1.1.0 %s; want %s since %s, %s", h[0].State, ISODate(h[0].Since), h[1].State, tc.v100, tc.v100since, tc.v110)
			}
			got := ""
			if c := l.VersionOn("EM-2", "en", day(tc.day)); c != nil {
				got = c.Version
			}
			if got != tc.inFor {
				t.Errorf("in force: %q, want %q", got, tc.inFor)
			}
		})
	}
	if c := l.Current("en"); c[len(c)-1].Version != "1.1.0" {
		t.Errorf("Current is the latest published version, got %s", c[len(c)-1].Version)
	}
}

func TestAClauseWhoseVersionsAreAllSupersededIsWithdrawn(t *testing.T) {
	dir := fixture(t, edit{file: em2en, old: "status: published", new: "status: superseded"})
	h := load(t, dir).History("EM-2", "en", day("2030-01-01"))
	if len(h) != 1 || h[0].State != StateWithdrawn {
		t.Fatalf("history %+v", h)
	}
}

func TestSelectTakesPinsElseTheVersionsInForce(t *testing.T) {
	dir := withEM2v11(t)
	l := load(t, dir)
	tests := []struct {
		name        string
		effective   string
		asOf        string
		pins        map[string]string
		wantVersion string
	}{
		{"unpinned, before the new version", "2027-02-01", "", nil, "1.0.0"},
		{"unpinned, after it", "2027-07-01", "", nil, "1.1.0"},
		{"--as-of moves the date", "2027-02-01", "2027-07-01", nil, "1.1.0"},
		{"a pin wins over the date", "2027-07-01", "", map[string]string{"EM-2": "1.0.0"}, "1.0.0"},
		{"--as-of never changes a pin", "2027-02-01", "2027-07-01", map[string]string{"EM-2": "1.0.0"}, "1.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Profile{File: "p.yaml", Lang: "en", Effective: day(tc.effective), Pins: tc.pins}
			if tc.pins != nil {
				p.Clauses = []string{"EM-1", "EM-2"}
			}
			if tc.asOf != "" {
				p.AsOf = day(tc.asOf)
			}
			sel, err := l.Select(p, "en")
			if err != nil {
				t.Fatal(err)
			}
			if len(sel) != 2 || sel[1].ID != "EM-2" || sel[1].Version != tc.wantVersion {
				t.Fatalf("selected %v, want EM-2 %s", sel, tc.wantVersion)
			}
		})
	}
}

func TestCheckReportsOnTheVersionsAProfileSelects(t *testing.T) {
	tests := []struct {
		name     string
		clauses  string // the profile's clauses: line
		code     string
		severity string
		want     string
	}{
		{"an unpinned profile is warned that its module changes", "", CodeUnpinned, SeverityWarning, "pins no clause version"},
		{"a list of ids is not a pin", "clauses: [EM-1, EM-2]", CodeUnpinned, SeverityWarning, "for EM-1, EM-2"},
		{"a pin with a newer version gets a note with the redline command", "clauses: {EM-1: 1.0.0, EM-2: 1.0.0}", CodeNewerVersion, SeverityInfo, "exitsite diff EM-2 1.0.0 1.1.0 --lang en"},
		{"a pinned version not yet in force is an error", "clauses: {EM-1: 1.0.0, EM-2: 1.1.0}", CodeNotInForce, SeverityError, "takes effect on 2027-06-01, after the profile's effective date 2027-02-01"},
		{"a pinned version that does not exist is an error", "clauses: {EM-1: 1.0.0, EM-2: 9.0.0}", CodeBrokenReference, SeverityError, "no published en version 9.0.0"},
		{"a pin that is not a version is an error", "clauses: {EM-1: 1.0.0, EM-2: latest}", CodeWrongType, SeverityError, `"latest" is not a version`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var edits []edit
			if tc.clauses != "" {
				edits = append(edits, edit{file: bank, old: "values:", new: tc.clauses + "\nvalues:"})
			}
			fs := withRule(checkDir(t, withEM2v11(t, edits...)), tc.code)
			if len(fs) != 1 || fs[0].Severity != tc.severity || !strings.Contains(fs[0].Message+fs[0].Hint, tc.want) {
				t.Fatalf("%s findings:\n%s", tc.code, dump(fs))
			}
			if !strings.HasSuffix(fs[0].File, bank) || fs[0].Line < 1 {
				t.Errorf("finding at %s:%d", fs[0].File, fs[0].Line)
			}
		})
	}
	// Pinned at the versions in force: nothing about versions to say.
	dir := withEM2v11(t, edit{file: bank, old: "values:", new: "clauses:\n  EM-1: 1.0.0 # definitions\n  EM-2: 1.1.0\nvalues:"},
		edit{file: bank, old: "effective: 2027-02-01", new: "effective: 2027-06-01"})
	for _, f := range checkDir(t, dir) {
		if f.Rule == CodeUnpinned || f.Rule == CodeNotInForce || f.Rule == CodeNewerVersion || f.Rule == CodeBrokenReference {
			t.Errorf("unexpected: %s", f)
		}
	}
}

func TestFindVersionSaysWhichClausesAndVersionsExist(t *testing.T) {
	l := load(t, fixture(t))
	if _, err := l.FindVersion("EM-99", "1.0.0", "en"); err == nil || !strings.Contains(err.Error(), "no clause EM-99; the library has EM-1, EM-2") {
		t.Errorf("EM-99: %v", err)
	}
	if _, err := l.FindVersion("EM-2", "3.0.0", "en"); err == nil || !strings.Contains(err.Error(), "versions: 1.0.0 (published, effective 2027-02-01)") {
		t.Errorf("EM-2 3.0.0: %v", err)
	}
	if c, err := l.FindVersion("EM-2", "v1.0.0", "en"); err != nil || c.Version != "1.0.0" {
		t.Errorf("v1.0.0: %v, %v", c, err)
	}
}

func TestACrossReferenceReadsAsTheTargetWasWhenTheVersionTookEffect(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata/lib", em1en))
	if err != nil {
		t.Fatal(err)
	}
	retitled := strings.NewReplacer("version: 1.0.0", "version: 2.0.0", "title: Definitions", "title: Words and Meanings",
		"effective: 2025-09-12", "effective: 2028-01-01").Replace(string(data))
	l := load(t, fixture(t, edit{file: "clauses/en/EM-1-v2.0.0.md", new: retitled}))
	if l.Find("EM-1", "2.0.0", "en") == nil || l.Find("EM-1", "2.0.0", "en").Title != "Words and Meanings" {
		t.Fatal("the fixture edit did not make EM-1 2.0.0")
	}
	r, err := l.Find("EM-2", "1.0.0", "en").Render(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "clause 1 (Definitions)") || strings.Contains(r.Text, "Words and Meanings") {
		t.Errorf("EM-2 1.0.0 changed with a later EM-1:\n%s", r.Text)
	}
}
