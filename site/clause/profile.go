package clause

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/exitkit/exitkit/site/clause/yamlpos"
)

// LoadProfile reads a customer profile. It returns an error for a file
// that cannot be read, and a *Finding (as the error) with file:line:col
// for YAML that cannot be parsed. Smaller problems, such as unknown fields,
// are kept with the profile and reported by Check.
//
// Its clauses: field is either a list of ids (each at the version in force
// on the effective date) or a mapping from id to the version agreed, as
// 'exitsite module --pin' writes it:
//
//	clauses:
//	  EM-1: 1.0.0
//	  EM-13: 1.0.0
//	  EM-18:        # selected, not pinned
func LoadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load profile: %w", err)
	}
	return parseProfile(path, data)
}

// LoadProfiles loads the profiles at paths or, when there are none, every
// profiles/*.yaml of the content folder dir, as 'exitsite check' and the
// preview do. A profile that cannot be parsed is returned as a finding, so
// one broken profile does not hide the others; err reports a file that
// cannot be read.
func LoadProfiles(dir string, paths []string) (profiles []*Profile, unparsed []Finding, err error) {
	if len(paths) == 0 {
		paths, _ = filepath.Glob(filepath.Join(dir, "profiles", "*.yaml"))
		sort.Strings(paths)
	}
	for _, path := range paths {
		p, err := LoadProfile(path)
		var f *Finding
		switch {
		case errors.As(err, &f):
			unparsed = append(unparsed, *f)
		case err != nil:
			return nil, nil, err
		default:
			profiles = append(profiles, p)
		}
	}
	return profiles, unparsed, nil
}

func parseProfile(path string, data []byte) (*Profile, error) {
	ld := &loader{file: path}
	top := ld.Fields(data, "the profile", "write provider, customer, lang, effective and values as 'key: value' lines")
	if top == nil {
		f := ld.findings()[0]
		return nil, &f
	}
	p := &Profile{File: path, Pins: map[string]string{}, Values: map[string]any{}, Justifications: map[string]string{}, pos: map[string]position{}}
	yamlpos.Mapping(top, func(k, v *yaml.Node) {
		p.pos[k.Value] = position{k.Line, k.Column}
		switch k.Value {
		case "provider":
			p.Provider = ld.party(v, "provider")
		case "customer":
			p.Customer = ld.party(v, "customer")
		case "lang":
			p.Lang, _ = ld.Str(v, "lang")
		case "effective":
			p.Effective = ld.Date(v, "effective")
		case "regulated":
			p.Regulated = ld.Bool(v, "regulated")
		case "clauses":
			p.Clauses, p.Pins = ld.clauseList(v, p.pos)
		case "values":
			if v.Kind != yaml.MappingNode {
				ld.Errorf(CodeWrongType, v, "write one 'name: value' line per parameter", "values must map parameter names to values")
				return
			}
			yamlpos.Mapping(v, func(k2, v2 *yaml.Node) {
				if v2.Kind != yaml.ScalarNode {
					ld.Errorf(CodeWrongType, v2, "write a single value", "values.%s must be a single value", k2.Value)
					return
				}
				p.Values[k2.Value] = yamlpos.Scalar(v2)
				p.pos["values."+k2.Value] = position{v2.Line, v2.Column}
			})
		case "justifications":
			if v.Kind != yaml.MappingNode {
				ld.Errorf(CodeWrongType, v, "write 'parameter: reason' lines", "justifications must map parameter names to reasons")
				return
			}
			yamlpos.Mapping(v, func(k2, v2 *yaml.Node) {
				p.Justifications[k2.Value], _ = ld.Str(v2, "justifications."+k2.Value)
				p.pos["justifications."+k2.Value] = position{k2.Line, k2.Column}
			})
		case "not_applicable":
			if v.Kind != yaml.SequenceNode {
				ld.Errorf(CodeWrongType, v, "write a list of '- rule: ID' entries, each with 'reason: ...'", "not_applicable must be a list")
				return
			}
			for _, it := range v.Content {
				w := Waiver{Line: it.Line, Col: it.Column}
				yamlpos.Mapping(it, func(k2, v2 *yaml.Node) {
					switch k2.Value {
					case "rule":
						w.Rule, _ = ld.Str(v2, "rule")
					case "reason":
						w.Reason, _ = ld.Str(v2, "reason")
						w.Reason = strings.TrimSpace(w.Reason)
					default:
						ld.Errorf(CodeUnknownField, k2, "a waiver has rule and reason", "unknown field %q", k2.Value)
					}
				})
				p.NotApplicable = append(p.NotApplicable, w)
			}
		default:
			ld.Errorf(CodeUnknownField, k, "a profile has provider, customer, lang, effective, regulated, clauses, values, justifications and not_applicable",
				"unknown field %q", k.Value)
		}
	})
	if p.Lang == "" {
		ld.Errorf(CodeFrontMatter, nil, "add 'lang: en' or 'lang: nl'", "the profile has no lang")
	}
	p.findings = ld.findings()
	return p, nil
}

func (p *Profile) at(key string) (int, int) {
	if ps, ok := p.pos[key]; ok {
		return ps.line, ps.col
	}
	return 1, 1
}

// clauseList reads clauses: as a list of ids or a mapping from id to
// pinned version (empty for an unpinned id), recording each entry's
// position as clauses.N.
func (ld *loader) clauseList(v *yaml.Node, pos map[string]position) (ids []string, pins map[string]string) {
	pins = map[string]string{}
	ids = []string{}
	switch v.Kind {
	case yaml.SequenceNode:
		for _, it := range v.Content {
			if s, ok := ld.Str(it, "clauses item"); ok {
				pos["clauses."+strconv.Itoa(len(ids))] = position{it.Line, it.Column}
				ids = append(ids, s)
			}
		}
	case yaml.MappingNode:
		yamlpos.Mapping(v, func(k, v2 *yaml.Node) {
			id := k.Value
			if slices.Contains(ids, id) {
				ld.Errorf(CodeDuplicate, k, "list each clause once", "clause %s is listed twice", id)
				return
			}
			pos["clauses."+strconv.Itoa(len(ids))] = position{k.Line, k.Column}
			ids = append(ids, id)
			if v2.Kind == yaml.ScalarNode && v2.ShortTag() == "!!null" {
				return // selected, not pinned
			}
			ver, ok := ld.Str(v2, "clauses."+id)
			ver = strings.TrimPrefix(ver, "v")
			if ok && !reSemver.MatchString(ver) {
				ld.Errorf(CodeWrongType, v2, "write the agreed version as MAJOR.MINOR.PATCH, e.g. "+id+": 1.1.0, or leave it empty to take the version in force",
					"clauses.%s: %q is not a version", id, v2.Value)
				return
			}
			if ok {
				pins[id] = ver
			}
		})
	default:
		ld.Errorf(CodeWrongType, v, "write a list of ids ([EM-1, EM-2]) or one 'EM-1: 1.0.0' line per clause with the version agreed",
			"clauses must be a list of ids or a mapping from id to version")
		return nil, pins
	}
	if len(ids) == 0 {
		ids = nil // clauses: [] selects every clause, as an absent list does
	}
	return ids, pins
}
