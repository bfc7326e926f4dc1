package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CheckDistinct refuses --source values that would export a VM twice:
// the same file or folder given twice, under whatever spelling (./x, x/,
// an absolute path, a link to it), a source that lies inside a folder
// source (which takes every VM below it already), and remote sources
// whose key (remote reports it, e.g. a vSphere URL without secrets) is
// the same. A path that does not exist is left to Open to report.
func CheckDistinct(specs []string, remote func(spec string) (key string, ok bool)) error {
	type local struct {
		spec, real string
		info       os.FileInfo
	}
	var locals []local
	keys := map[string]string{}
	var errs []error
	for _, s := range specs {
		if key, ok := remote(s); ok {
			if other, dup := keys[key]; dup {
				errs = append(errs, fmt.Errorf("--source %s and --source %s name the same VMs (%s): give each source once", other, s, key))
			}
			keys[key] = s
			continue
		}
		info, err := os.Stat(s)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(s)
		if err == nil {
			real, err = filepath.Abs(real)
		}
		if err != nil {
			continue
		}
		for _, o := range locals {
			switch {
			case os.SameFile(o.info, info):
				errs = append(errs, fmt.Errorf("--source %s and --source %s are the same %s (%s): its VMs would be exported twice; give it once", o.spec, s, kind(info), real))
			case o.info.IsDir() && within(real, o.real):
				errs = append(errs, fmt.Errorf("--source %s lies inside --source %s, which takes every VM in it already: its VMs would be exported twice; give one or the other", s, o.spec))
			case info.IsDir() && within(o.real, real):
				errs = append(errs, fmt.Errorf("--source %s lies inside --source %s, which takes every VM in it already: its VMs would be exported twice; give one or the other", o.spec, s))
			}
		}
		locals = append(locals, local{s, real, info})
	}
	return errors.Join(errs...)
}

func kind(info os.FileInfo) string {
	if info.IsDir() {
		return "folder"
	}
	return "file"
}

// within says whether p lies below the folder dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
