package cli

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func (a *app) fakeServerCommand() *cobra.Command {
	var (
		addr        string
		allowRemote bool
		envFile     string
	)
	cmd := &cobra.Command{
		Use:   "fake-server [--addr 127.0.0.1:8080] [--env-file PATH]",
		Short: "Run a local fake MindPeeker API for development and tests",
		Long: `Run the SDK's in-process fake of the MindPeeker API (package mindpeekertest)
until interrupted (Ctrl-C or SIGTERM), with demo data: three sessions and an
API key.

On start it prints, on stdout, the export lines that point this command (and
the SDK's NewFromEnv) at it, with the fake's test client; port 0 picks a free
port and the lines show the real one. With --env-file it writes them to that
file instead (mode 0600), atomically and only once the server accepts
connections, so a script can wait for the file and source it; the file is
removed when the server stops. The fake also knows the public client
"` + DefaultClientID + `", so 'mindpeeker auth login' works against it (its
authorization page consents at once, as user "` + mindpeekertest.DefaultUsername + `").

It listens on loopback addresses only, unless --allow-remote: the fake
accepts well-known test credentials and is not for exposure.`,
		Example: `  mindpeeker fake-server --addr 127.0.0.1:0 --env-file fake.env &
  while [ ! -e fake.env ]; do sleep 0.1; done; . ./fake.env
  mindpeeker sessions list
  kill $!`,
		Args: exactArgs(),
		RunE: a.action(func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return usageErrorf("invalid --addr %q: %v", addr, err)
			}
			if !allowRemote && !auth.IsLoopback(host) {
				return usageErrorf("--addr %q is not a loopback address; add --allow-remote to listen on it", addr)
			}
			var lc net.ListenConfig
			ln, err := lc.Listen(cmd.Context(), "tcp", addr)
			if err != nil {
				return fmt.Errorf("fake-server: %w", err)
			}
			srv := mindpeekertest.NewServerListener(ln, mindpeekertest.WithSeedData())
			defer srv.Close()
			srv.AddClient(DefaultClientID, "")

			exports := [][2]string{
				{client.EnvBaseURL, srv.APIURL()},
				{client.EnvTokenURL, srv.TokenURL()},
				{EnvAuthorizeURL, srv.AuthorizeURL()},
				{client.EnvClientID, mindpeekertest.DefaultClientID},
				{client.EnvClientSecret, mindpeekertest.DefaultClientSecret},
			}
			var b strings.Builder
			for _, e := range exports {
				fmt.Fprintf(&b, "export %s=%s\n", e[0], shellQuote(e[1]))
			}
			if envFile == "" {
				if _, err := fmt.Fprint(a.stdout, b.String()); err != nil {
					return err
				}
			} else {
				// The listener accepts connections from here on.
				if err := auth.WritePrivateFile(envFile, []byte(b.String())); err != nil {
					return fmt.Errorf("fake-server: writing --env-file: %w", err)
				}
				defer os.Remove(envFile)
			}
			fmt.Fprintf(a.stderr, "Fake MindPeeker API listening on %s (Ctrl-C to stop).\n", srv.URL)
			<-cmd.Context().Done()
			fmt.Fprintln(a.stderr, "Fake MindPeeker API stopped.")
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (port 0: a free port)")
	f.BoolVar(&allowRemote, "allow-remote", false, "allow an address that is not loopback")
	f.StringVar(&envFile, "env-file", "", "write the export lines to this file (atomically, once listening) instead of stdout; removed on stop")
	return cmd
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
