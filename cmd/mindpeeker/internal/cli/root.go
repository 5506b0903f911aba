package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mindpeeker/mindpeeker-go/client"
)

const rootLong = `mindpeeker calls the MindPeeker API from the shell.

Credentials, the first one set wins (the SDK's NewFromEnv rule):
  1. MINDPEEKER_CLIENT_ID and MINDPEEKER_CLIENT_SECRET: the client credentials grant;
  2. MINDPEEKER_API_KEY: an API key, sent as X-API-Key;
  3. the login stored by 'mindpeeker auth login', renewed as needed.
--verbose says which one is used and which variables are ignored.
Other variables: MINDPEEKER_BASE_URL, MINDPEEKER_TOKEN_URL,
MINDPEEKER_AUTHORIZE_URL, MINDPEEKER_SCOPES (space-separated) and
MINDPEEKER_CONFIG_DIR (where the login is kept; default: the user config
directory + /mindpeeker). --base-url and --token-url override the variables;
with the stored login they must stay on the origins it was made with (its
tokens go nowhere else).

Output: results go to stdout, as aligned tables (-o table, the default) or as
JSON (-o json; a list is one JSON array of every page). -o json prints the API
objects as the SDK models them: fields the SDK does not know are not printed.
Messages, confirmations and --verbose logs go to stderr, so stdout stays clean
for scripts. Commands that return nothing (delete, revoke) print nothing on
stdout; in table mode they confirm on stderr.

Exit codes: 0 success; 1 API or network error; 2 usage error (unknown command,
bad flag or argument, half a credential pair, a remote plain-http URL); 3
authentication or permission failure (refused credentials, missing scope, no
credentials configured).`

// rootCommand builds the command tree of one run.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "mindpeeker",
		Short: "Command-line client for the MindPeeker API",
		Long:  rootLong,
		Example: `  # Try it against the local fake server (in another terminal):
  mindpeeker fake-server
  export MINDPEEKER_BASE_URL=... (the lines it prints)

  mindpeeker sessions list
  mindpeeker sessions create --title "Target 4471" -o json | jq -r .id
  mindpeeker apikeys create --name ci --scope remote-viewing:read --expires-in 90d`,
		Args:                       groupArgs,
		SuggestionsMinimumDistance: 2,
		RunE:                       func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SilenceErrors:              true,
		SilenceUsage:               true,
		Version:                    client.Version,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if a.output != "table" && a.output != "json" {
				return usageErrorf("invalid --output %q: use table or json", a.output)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })

	pf := root.PersistentFlags()
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table, or json (the API objects as the SDK models them; unknown fields are not printed)")
	pf.StringVar(&a.baseURL, "base-url", "", "API base URL (default $MINDPEEKER_BASE_URL, else "+client.DefaultBaseURL+")")
	pf.StringVar(&a.tokenURL, "token-url", "", "OAuth token URL (default $MINDPEEKER_TOKEN_URL, else "+client.DefaultTokenURL+")")
	// --version without the -v shorthand cobra would give it: -v reads as --verbose.
	root.Flags().Bool("version", false, "print the version")
	pf.BoolVar(&a.verbose, "verbose", false, "log each HTTP request to stderr (credentials are never logged)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(a.sessionsCommand(), a.apikeysCommand(), a.authCommand(), a.apiCommand(), a.fakeServerCommand())
	return root
}

// strictHelp makes cobra's help and completion commands treat an unknown
// topic or shell as a usage error. Call it on the complete tree, after
// SetOut: cobra's completion command keeps the writer it is made with.
func strictHelp(root *cobra.Command) {
	root.SetHelpCommand(helpCommand())
	strictCompletion(root)
}

// helpCommand replaces cobra's help command, which answers an unknown topic
// with the usage and exit 0; here it is a usage error like any unknown command.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help prints the help of any command: mindpeeker help [path to command].",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			switch {
			case err != nil:
				return err
			case len(rest) > 0:
				return groupArgs(target, rest)
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// strictCompletion adds cobra's completion command now, rather than when it
// runs, and makes an unknown shell a usage error: cobra prints the help and
// exits 0 for 'completion tcsh'.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		var shells []string
		for _, sub := range c.Commands() {
			shells = append(shells, sub.Name())
		}
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return fmt.Errorf("unknown shell %q for %q: use %s", args[0], cmd.CommandPath(), strings.Join(shells, ", "))
		}
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
}
