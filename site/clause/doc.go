// Package clause is the clause library of exitkit: it loads the legal
// team's clause templates and customer profiles, validates them, lints them
// against the Data Act, DORA and GDPR, renders them for the public library
// and for one customer, fingerprints each rendering, and redlines versions.
//
// Call [Load] on a content folder (clauses/<lang>/<id>-v<version>.md,
// obligations.yaml, site.yaml) and [LoadProfile] on each customer profile
// (or [LoadProfiles] on a folder's), then [Check] to get every problem as a
// [Finding] with file:line:col and a hint. Render a clause with [Clause.Render]: a nil profile gives the
// library view, where each parameter is a marked placeholder with its
// description and default; a profile gives the customer view with its
// values. Package redline compares two renderings. Package param is the
// type system of parameters: the site and the module print values outside
// a clause with [param.Param.FormatValue] and dates with [LongDate], so
// they read exactly as in the rendered clause, and stop on errors with a
// [FindingsError].
//
// Which version of a clause applies is a matter of dates: [Library.InForce]
// and [Library.History] give the versions in force, upcoming and superseded
// on a day, and [Library.Select] the versions of one customer's module: the
// ones its profile pins, else those in force on its effective date
// ([Profile.AsOf] overrides the date, never a pin). [Pin] writes the
// versions a module used back into the profile. Package lock keeps
// published versions from changing; package redline compares two.
//
// Loading never stops at the first problem: Load returns an error only when
// the folder cannot be read, and keeps everything wrong inside the files in
// Library.Findings, so one run shows the legal team all of it.
//
// # Template syntax
//
// A clause body is CommonMark with these additions, parsed by a goldmark
// extension so that every tag keeps its position in the file:
//
//	{{name}}                         the value of parameter name
//	{{name as "D MMMM YYYY"}}        a date or money value with a format
//	{{#if flag}}...{{else}}...{{/if}} a boolean condition
//	{{#if plan = "dedicated"}}...{{/if}} an enum comparison
//	[[EM-3]]                         "clause 3 (Exit Triggers)", a link
//
// A condition either opens and closes inside one paragraph, or its tags
// stand on lines of their own and wrap whole paragraphs and list items.
//
// # Canonical text and fingerprint
//
// Rendered.Fingerprint is "sha256:" followed by the lower-case hex SHA-256
// of Rendered.Text, the canonical text, which is Markdown built as follows:
//
//   - the first line is "# <id> <title> v<version>", e.g.
//     "# EM-10 Data Retrieval Period v1.1.0";
//   - then each block of the body, every block preceded by one empty line:
//     a paragraph on a single line (soft line breaks become one space, runs
//     of spaces become one), headings as "#"s, lists as "- " or "N." items
//     numbered from the list's start, block quotes with "> ", code in
//     ``` fences;
//   - inline markup as written, except emphasis, which is always * or **;
//   - tags replaced: values formatted in the clause's language (customer
//     view) or placeholders "[name: default 60 days]" (library view);
//     conditions reduced to the chosen branch (customer view) or shown with
//     the labels "[If name:]", "[Otherwise:]" and "[End if]" (library view);
//     cross-references as "clause N (Title)";
//   - UTF-8, lines end in "\n" only, no trailing spaces or tabs, and the
//     text ends with exactly one "\n".
//
// The front matter, including summary and effective date, is not part of
// the text. The same template and values give the same text, and so the
// same fingerprint, on every machine and in every run: nothing depends on
// the file's line endings, its line wrapping or the time of rendering.
package clause
