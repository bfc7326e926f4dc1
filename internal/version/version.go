// Package version says which exitkit made something: String is printed by
// both commands' --version and recorded in every bundle (bag-info.txt's
// Bag-Software-Agent and exit-manifest.json's tool).
package version

import "runtime/debug"

// Version is exitkit's release. It is kept here, in the repository, because
// builds made with -buildvcs=false (or from a tarball) carry no version in
// their build info; raise it with every release.
const Version = "v0.3.0"

// String is Version plus the VCS revision when the build info has one,
// e.g. "v0.3.0 (1a2b3c4d5e6f, modified)".
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	return Version + revision(bi.Settings)
}

func revision(settings []debug.BuildSetting) string {
	rev, modified := "", false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		return " (" + rev + ", modified)"
	}
	return " (" + rev + ")"
}
