// Package clause is the clause library of exitkit: it loads the legal
// team's clause templates and customer profiles, validates them, lints them
// against the Data Act, DORA and GDPR, renders them for the public library
// and for one customer, fingerprints each rendering, and redlines versions.
//
// Call [Load] on a content folder (clauses/<lang>/<id>-v<version>.md,
// obligations.yaml, site.yaml) and [LoadProfile] on each customer profile
// (or [LoadProfiles] on a folder's), then lint.Check to get every problem
// as a [Finding] with file:line:col and a hint. Render a clause with
// [Clause.Render]: a nil profile gives the library view, where each
// parameter is a marked placeholder with its
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
// ([Profile.AsOf] overrides the date, never a pin). Package pin writes the
// versions a module used back into the profile. Package lock keeps
// published versions from changing; package redline compares two.
//
// Loading never stops at the first problem: Load returns an error only when
// the folder cannot be read, and keeps everything wrong inside the files in
// Library.Findings, so one run shows the legal team all of it.
//
// Rendered.Fingerprint is "sha256:" followed by the lower-case hex SHA-256
// of Rendered.Text, the canonical text. Package render builds that text
// and documents the template syntax of a clause body and the rules of the
// canonical text, which no change may break: published fingerprints rest
// on them.
//
// # Sub-packages
//
// This package holds the library, its clauses and versions, profiles and
// the findings about them. Each other concern is a package of its own:
//
//	syntax      the template tags of a clause body (a goldmark extension)
//	render      a parsed body as canonical text and HTML
//	param       parameter types: coercion, bounds, formatting of values
//	obligation  the obligations catalogue, obligations.yaml
//	yamlpos     reading YAML with each problem at its line and column
//	lint        the regulatory rules; what commands call to check a library
//	lock        published versions that must not change (versions.lock)
//	redline     what changed between two versions of a clause
//	pin         recording agreed versions in a profile (--pin)
package clause
