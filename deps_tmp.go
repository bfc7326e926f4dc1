//go:build tools

package tools

import (
	_ "filippo.io/age"
	_ "github.com/chromedp/chromedp"
	_ "github.com/gohugoio/hugo/hugolib"
	_ "github.com/hiddeco/sshsig"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/mholt/archives"
	_ "github.com/spf13/cobra"
	_ "github.com/vmware/govmomi/simulator"
	_ "github.com/yuin/goldmark"
	_ "golang.org/x/crypto/ssh"
)
