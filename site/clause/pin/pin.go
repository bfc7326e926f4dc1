// Package pin records in a customer's profile the clause versions agreed
// with the customer, as 'exitsite module --pin' does once a module is
// signed: from then on the module renders exactly those versions, whatever
// the library publishes later.
//
// Call [Write] with the profile's path and the versions of the module
// (package module's Module.Clauses). It rewrites only the clauses: field,
// keeping comments and the order of the other fields, so the legal team's
// file stays theirs; package clause reads the result (Profile.Pins) and
// its check notes newer versions of a pinned clause.
package pin

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/exitkit/exitkit/internal/fsx"

	"gopkg.in/yaml.v3"
)

// Write records in the profile file at path the clause versions of a
// module (the mapping form of clauses: that clause.LoadProfile reads),
// replacing its clauses: field or adding one before values:. Everything
// else in the file, comments included, is kept; the file is replaced
// atomically and never through a symbolic link. It reports whether the
// file changed.
func Write(path string, pins []Version) (bool, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	if st.Mode()&fs.ModeSymlink != 0 || !st.Mode().IsRegular() {
		return false, fmt.Errorf("pin %s: not a regular file; pass the profile itself, not a link to it", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	out, err := pinYAML(data, pins)
	if err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	if bytes.Equal(out, data) {
		return false, nil
	}
	// The profile is the user's file, rewritten because --pin asked for it:
	// whole and durably, keeping its mode, never through a link.
	if err := fsx.ReplaceFile(path, out, st.Mode().Perm()); err != nil {
		return false, fmt.Errorf("pin %s: %w", path, err)
	}
	return true, nil
}

// Version is one clause version a module rendered.
type Version struct{ ID, Version string }

const pinComment = "Clause versions agreed with the customer; the module renders exactly these.\n" +
	"Written by 'exitsite module --pin'; 'exitsite check' notes newer versions."

// pinYAML rewrites the clauses: field of a profile with the yaml.v3 node
// API, so comments and the order of fields survive.
func pinYAML(data []byte, pins []Version) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("the profile is not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the profile is not a set of fields")
	}
	top := doc.Content[0]
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, p := range pins {
		m.Content = append(m.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.ID},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.Version})
	}
	i := slices.IndexFunc(top.Content, func(n *yaml.Node) bool { return n.Value == "clauses" })
	if i >= 0 && i%2 == 0 && i+1 < len(top.Content) {
		old := top.Content[i+1]
		// Keep the comments on ids that stay selected.
		if old.Kind == yaml.MappingNode || old.Kind == yaml.SequenceNode {
			for j := 0; j < len(m.Content); j += 2 {
				for k, n := range old.Content {
					if n.Kind == yaml.ScalarNode && n.Value == m.Content[j].Value && (old.Kind == yaml.SequenceNode || k%2 == 0) {
						m.Content[j].HeadComment, m.Content[j].LineComment = n.HeadComment, n.LineComment
						if old.Kind == yaml.MappingNode && k+1 < len(old.Content) && old.Content[k+1].LineComment != "" {
							m.Content[j].LineComment = old.Content[k+1].LineComment
						}
					}
				}
			}
		}
		top.Content[i+1] = m
	} else {
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "clauses", HeadComment: pinComment}
		at := slices.IndexFunc(top.Content, func(n *yaml.Node) bool { return n.Value == "values" })
		if at < 0 || at%2 != 0 {
			at = len(top.Content)
		}
		top.Content = slices.Insert(top.Content, at, key, m)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
