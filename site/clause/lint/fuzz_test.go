package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/site/clause"
)

// FuzzCheck runs every rule over an arbitrary clause body and profile, as
// a legal team's typo would give them: the rules render and search text
// written by people, so they must report findings, never panic.
func FuzzCheck(f *testing.F) {
	for _, s := range [][2]string{
		{"3.1 deemed to have made a Switching Request {{service_model}}.\n", "lang: en\nregulated: true\nvalues:\n  dora_applies: true\n"},
		{"{{#if dora_applies}}Article 28(7) custom-built clause 2 ({{/if}}\n", "lang: en\neffective: 2027-02-01\nvalues:\n  notice_period_days: 60\n"},
		{"custom-built: paragraph 99.1 and artikel 3 and clause 1 (\n\nsurvives clause 2 (\n", "lang: en\nregulated: true\nclauses: [EM-3]\n"},
		{"", "lang: en\njustifications:\n  transition_period_days: Customer\nvalues:\n  transition_period_days: 9999\n"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, body, profile string) {
		dir := fixture(t)
		path := filepath.Join(dir, em3en)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		head := string(data)[:strings.Index(string(data), "\n---\n")+5]
		if err := os.WriteFile(path, []byte(head+body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, bank), []byte(profile), 0o644); err != nil {
			t.Fatal(err)
		}
		ps, _, err := clause.LoadProfiles(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Check(load(t, dir), ps) {
			if f.Rule == "" || f.Message == "" || f.Line < 0 {
				t.Fatalf("malformed finding: %+v", f)
			}
		}
	})
}
