package main

import (
	"fmt"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/site"
)

func newServeCmd() *cobra.Command {
	var (
		port         int
		content, tpl string
		asOf         asOfFlag
	)
	cmd := &cobra.Command{
		Use:   "serve [--port N] [--content DIR] [--templates DIR] [--as-of DATE]",
		Short: "Preview the legal website live while editing clauses, profiles or templates",
		Long: `serve builds the site as 'exitsite build' does, serves it on
http://localhost:PORT/ and rebuilds whenever a file under the content folder
(clauses, profiles, obligations.yaml, site.yaml) or the --templates folder
changes. Open pages reload by themselves.

Nothing is written to disk: the preview lives in memory. A clause or template
error is shown in the browser in place of the page and printed here; lint
findings of every profile under DIR/profiles/ appear in a banner on each page.
The server keeps running until you press Ctrl-C.

The preview only listens on the loopback interface (127.0.0.1).`,
		Example: `  exitsite serve
  exitsite serve --port 8080 --content content --templates branding`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if port < 0 || port > 65535 {
				return cli.Usage(fmt.Errorf("--port %d: use 1-65535, or 0 for any free port", port))
			}
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				return cli.Usage(fmt.Errorf("listen on port %d: %w; choose another --port", port, err))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "serving http://%s/ (Ctrl-C to stop)\n", ln.Addr())
			return site.Serve(cmd.Context(), ln, site.ServeOptions{
				Content: content, TemplatesDir: tpl, AsOf: asOf.t, Log: cmd.ErrOrStderr(),
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&port, "port", 1313, "the TCP port `N` on 127.0.0.1 to serve on; 0 picks a free one")
	f.StringVar(&content, "content", "content", "the content folder `DIR` to build and watch")
	f.StringVar(&tpl, "templates", "", "a templates folder `DIR` to use and watch (see 'exitsite build --help')")
	f.Var(&asOf, "as-of", "preview the site as on `DATE` (YYYY-MM-DD): which versions are in force, and which versions unpinned profiles take")
	return cmd
}
