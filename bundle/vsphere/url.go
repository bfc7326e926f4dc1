package vsphere

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Scheme is the URL scheme of a vSphere source.
const Scheme = "vsphere"

// Target is a parsed vsphere:// URL: where to connect, as whom, and which
// VMs to take.
type Target struct {
	User string // vCenter or ESXi user, e.g. administrator@vsphere.local
	Host string // host or host:port
	Path string // SDK path, "/sdk" unless given

	Datacenter string   // datacenter name or path; "" when there is only one
	VMs        []string // inventory paths or globs, as govc's finder takes them
	Folders    []string // VM folders: every VM below them
	Pools      []string // resource pools (or vApps): every VM in them
	Tags       []Tag    // vSphere tags: every VM that carries one
}

// Tag names a vSphere tag by category and name.
type Tag struct{ Category, Name string }

func (t Tag) String() string { return t.Category + ":" + t.Name }

// ErrPasswordInURL is returned for a vsphere:// URL that carries a password.
var ErrPasswordInURL = errors.New("the vSphere password must not be in the URL, where shell history and process lists would keep it: " +
	"set " + PasswordEnv + " or type it at the prompt")

// ParseURL parses vsphere://USER@HOST[:PORT][/sdk]?vm=PATTERN&folder=PATH&pool=PATH&tag=CATEGORY:TAG&datacenter=DC.
// Each selector may repeat; VMs that match any value of a selector are
// taken, and where several kinds of selector are given a VM must match
// each kind (folder=Acme&tag=exit:yes: the tagged VMs in folder Acme). At
// least one selector is required, so that nothing is exported by accident.
// A user name containing "@" (administrator@vsphere.local) may be written
// as is or percent-encoded.
func ParseURL(s string) (*Target, error) {
	rest, ok := strings.CutPrefix(s, Scheme+"://")
	if !ok {
		return nil, fmt.Errorf("vsphere source %q: want vsphere://USER@HOST/sdk?vm=PATTERN", Redact(s))
	}
	// A password anywhere is refused before anything else is looked at, so
	// that no later message can repeat it: from here on s holds none.
	if r := Redact(s); r != s {
		return nil, fmt.Errorf("vsphere source %q: %w", r, ErrPasswordInURL)
	}
	authority, pathQuery := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, pathQuery = rest[:i], rest[i:]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return nil, fmt.Errorf("vsphere source %q: no user: write vsphere://USER@HOST/sdk?...", Redact(s))
	}
	userinfo, host := authority[:at], authority[at+1:]
	if host == "" {
		return nil, fmt.Errorf("vsphere source %q: no host", Redact(s))
	}
	if strings.Contains(userinfo, ":") {
		return nil, fmt.Errorf("vsphere source %q: %w", Redact(s), ErrPasswordInURL)
	}
	user, err := url.PathUnescape(userinfo)
	if err != nil || user == "" {
		return nil, fmt.Errorf("vsphere source %q: bad user %q", s, userinfo)
	}
	u, err := url.Parse("https://" + host + pathQuery)
	if err != nil {
		return nil, fmt.Errorf("vsphere source %q: %w", s, err)
	}
	t := &Target{User: user, Host: u.Host, Path: u.Path}
	if t.Path == "" || t.Path == "/" {
		t.Path = "/sdk"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("vsphere source %q: query: %w", s, err)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := q[k]
		for _, v := range vals {
			if v == "" {
				return nil, fmt.Errorf("vsphere source %q: %s= is empty", s, k)
			}
		}
		switch k {
		case "vm":
			t.VMs = append(t.VMs, vals...)
		case "folder":
			t.Folders = append(t.Folders, vals...)
		case "pool":
			t.Pools = append(t.Pools, vals...)
		case "tag":
			for _, v := range vals {
				cat, name, ok := strings.Cut(v, ":")
				if !ok || cat == "" || name == "" {
					return nil, fmt.Errorf("vsphere source %q: tag=%s: want tag=CATEGORY:TAG", s, v)
				}
				t.Tags = append(t.Tags, Tag{cat, name})
			}
		case "datacenter", "dc":
			if len(vals) > 1 {
				return nil, fmt.Errorf("vsphere source %q: one datacenter per source; give several sources for several datacenters", s)
			}
			t.Datacenter = vals[0]
		case "password", "pass", "pwd":
			return nil, fmt.Errorf("vsphere source: %w", ErrPasswordInURL)
		default:
			return nil, fmt.Errorf("vsphere source %q: unknown parameter %q; known: vm, folder, pool, tag, datacenter", s, k)
		}
	}
	if len(t.VMs)+len(t.Folders)+len(t.Pools)+len(t.Tags) == 0 {
		return nil, fmt.Errorf("vsphere source %q: say which VMs to export with vm=, folder=, pool= or tag= (vm=* takes every VM)", s)
	}
	return t, nil
}

// String gives the target back as a URL, without any secret.
func (t *Target) String() string {
	q := url.Values{}
	if t.Datacenter != "" {
		q.Set("datacenter", t.Datacenter)
	}
	q["vm"] = t.VMs
	q["folder"] = t.Folders
	q["pool"] = t.Pools
	for _, tag := range t.Tags {
		q.Add("tag", tag.String())
	}
	s := Scheme + "://" + url.PathEscape(t.User) + "@" + t.Host + t.Path
	if e := q.Encode(); e != "" {
		s += "?" + e
	}
	return s
}

// sdkURL is the https URL of the SDK endpoint.
func (t *Target) sdkURL() *url.URL {
	return &url.URL{Scheme: "https", Host: t.Host, Path: t.Path}
}

// Redact returns a vsphere:// URL fit for a message: a password in the
// user part (vsphere://USER:PASSWORD@HOST, even one holding /, ? or @) or
// in a password=, pass= or pwd= parameter is replaced by xxxxx, together
// with everything after a password parameter, since an unencoded & in the
// password would otherwise leave its tail in view. Anything that is not a
// vsphere:// URL is returned as it is.
func Redact(s string) string {
	rest, ok := strings.CutPrefix(s, Scheme+"://")
	if !ok {
		return s
	}
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		q = len(rest)
	}
	at := strings.LastIndex(rest[:q], "@")
	if at < 0 {
		// A password holding "?" ends the search for "@" too early.
		at = strings.LastIndex(rest, "@")
	}
	host := 0 // where the host starts: the query is searched after it
	if at >= 0 {
		host = at + 1
		if user, _, ok := strings.Cut(rest[:at], ":"); ok {
			rest = user + ":xxxxx" + rest[at:]
			host = len(user) + len(":xxxxx@")
		}
	}
	q = strings.IndexByte(rest[host:], '?')
	if q < 0 {
		return Scheme + "://" + rest
	}
	q += host
	head, query := rest[:q+1], rest[q+1:]
	var kept []string
	for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		k, _, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		switch strings.ToLower(k) {
		case "password", "pass", "pwd":
			kept = append(kept, k+"=xxxxx")
			return Scheme + "://" + head + strings.Join(kept, "&")
		}
		kept = append(kept, kv)
	}
	return Scheme + "://" + rest
}
