package site

// This file is the only one that imports Hugo. Hugo has no stable Go API,
// so everything it is asked to do goes through runHugo: a Hugo project as
// a map of files in, the published files out. Both live in an in-memory
// filesystem, which is how nothing is read from or written to the user's
// disk behind our back: no cache folder in the home directory, no
// .hugo_build.lock, no environment variables taken from the process.

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/bep/logg"
	"github.com/gohugoio/hugo/common/loggers"
	"github.com/gohugoio/hugo/config"
	"github.com/gohugoio/hugo/config/allconfig"
	"github.com/gohugoio/hugo/deps"
	"github.com/gohugoio/hugo/hugofs"
	"github.com/gohugoio/hugo/hugolib"
	"github.com/spf13/afero"
)

const (
	hugoRoot    = "/project" // the Hugo project's folder in the in-memory filesystem
	hugoPublish = "/public"  // where Hugo publishes, in the same filesystem
	hugoCache   = "/cache"   // Hugo's cache folder, in the same filesystem
)

// hugoEnviron replaces the process environment for Hugo, which otherwise
// reads os.Environ (HUGO_* variables override the configuration): a
// provider's shell must not change what the published terms look like.
var hugoEnviron = []string{"HUGO_ENVIRONMENT=production"}

// runHugo builds the Hugo project given as files (slash-separated paths
// relative to the project root, hugo.toml among them) and returns every
// published file by its path relative to the site root. Hugo's warnings
// and errors are written to log.
func runHugo(files map[string][]byte, log io.Writer) (map[string][]byte, error) {
	mem := afero.NewMemMapFs()
	for name, data := range files {
		full := path.Join(hugoRoot, name)
		if err := mem.MkdirAll(path.Dir(full), 0o777); err != nil {
			return nil, err
		}
		if err := afero.WriteFile(mem, full, data, 0o666); err != nil {
			return nil, err
		}
	}
	if log == nil {
		log = io.Discard
	}
	var errs bytes.Buffer
	logger := loggers.New(loggers.Options{
		Level: logg.LevelWarn,
		// Hugo's standard output carries only its terminal progress
		// escapes, which are not ours to print.
		StdOut: io.Discard,
		StdErr: io.MultiWriter(log, &errs),
	})

	flags := config.New()
	flags.Set("workingDir", hugoRoot)
	flags.Set("publishDir", hugoPublish)
	flags.Set("cacheDir", hugoCache)
	configs, err := allconfig.LoadConfig(allconfig.ConfigSourceDescriptor{
		Fs:          mem,
		Logger:      logger,
		Flags:       flags,
		Filename:    path.Join(hugoRoot, "hugo.toml"),
		Environment: "production",
		Environ:     hugoEnviron,
	})
	if err != nil {
		return nil, hugoError("load the Hugo configuration", err)
	}
	hfs := hugofs.NewFrom(mem, configs.LoadingInfo.BaseConfig)
	sites, err := hugolib.NewHugoSites(deps.DepsCfg{
		Configs:  configs,
		Fs:       hfs,
		LogLevel: logger.Level(),
		StdOut:   logger.StdOut(),
		StdErr:   logger.StdErr(),
	})
	if err != nil {
		return nil, hugoError("prepare the site", err)
	}
	defer sites.Close()
	if err := sites.Build(hugolib.BuildCfg{NoBuildLock: true}); err != nil {
		return nil, hugoError("build the site", err)
	}
	if n := logger.LoggCount(logg.LevelError); n > 0 {
		return nil, fmt.Errorf("build the site: Hugo reported %d error(s):\n%s", n, strings.TrimSpace(errs.String()))
	}

	out := map[string][]byte{}
	err = afero.Walk(mem, hugoPublish, func(p string, info fs.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := afero.ReadFile(mem, p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, hugoPublish+"/")] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collect the built site: %w", err)
	}
	// Copying static/ is the hugo command's job, not hugolib's: do it
	// here, with the command's precedence (a rendered page wins).
	for name, data := range files {
		if rel, ok := strings.CutPrefix(name, "static/"); ok {
			if _, exists := out[rel]; !exists {
				out[rel] = data
			}
		}
	}
	return out, nil
}

// hugoError rewrites the in-memory paths in Hugo's messages to the paths a
// provider edits: a layout error names site/layouts/..., the path under
// templates/ or a --templates folder.
func hugoError(what string, err error) error {
	msg := strings.ReplaceAll(err.Error(), hugoRoot+"/", "site/")
	return &BuildError{What: what, Message: msg, Err: err}
}
