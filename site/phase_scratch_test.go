package site

import (
	"syscall"
	"testing"
	"time"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/templates"
)

func TestPhaseScratch(t *testing.T) {
	dir, _ := generateLibrary(t, 1000)
	s := time.Now()
	lib, _ := clause.Load(dir)
	t.Log("load", time.Since(s))
	s = time.Now()
	files, err := layout(lib, templates.Default(), "")
	t.Log("layout", time.Since(s), err)
	s = time.Now()
	c := cpu()
	_, err = runHugo(files, nil)
	t.Log("hugo", time.Since(s), cpu()-c, err)
	_, plain := generateLibrary(t, 1000)
	s = time.Now()
	c = cpu()
	_, err = runHugo(plainProject(plain), nil)
	t.Log("plain", time.Since(s), cpu()-c, err)
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
