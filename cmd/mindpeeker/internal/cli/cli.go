// Package cli is the mindpeeker command: a thin layer over the SDK (client,
// sessions, apikeys, auth) and the fake server (mindpeekertest) that maps each
// subcommand to one SDK call, prints the result as a table or as JSON (the API
// objects as the SDK models them), and turns failures into the documented exit
// codes.
//
// [Run] is the whole program with its environment passed in, so that it can be
// tested in process; cmd/mindpeeker's main only wires it to the real process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// Exit codes of the command. Scripts rely on them.
const (
	ExitOK    = 0 // success
	ExitError = 1 // the API answered an error, or the network failed
	ExitUsage = 2 // unknown command, bad flag or argument, invalid configuration
	ExitAuth  = 3 // authentication or permission failure, or no credentials
)

// app is the state of one run: its I/O, environment and global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            func(string) string
	now            func() time.Time

	output   string // "table" or "json"
	baseURL  string // --base-url
	tokenURL string // --token-url
	verbose  bool
	credKind string // the credential resolve picked, for hints
	listing  bool   // the run lists a collection, which exists at any right base URL

	// started is set when a command's own code begins; an error before that
	// came from cobra's parsing and validation, which makes it a usage error.
	started bool
}

// Run runs the mindpeeker command with the given arguments (without the
// program name), I/O and environment lookup, and returns the exit code: see
// ExitOK, ExitError, ExitUsage and ExitAuth. Cancelling ctx (main does it on
// SIGINT) stops the request in flight. Results go to stdout; messages, notes
// and --verbose logs go to stderr.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, env: env, now: time.Now}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	strictHelp(root)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := a.exitCode(err)
	fmt.Fprintf(stderr, "Error: %s\n", auth.Excerpt(err.Error(), maxErrorText))
	switch {
	case code == ExitUsage && cmd != nil:
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	case code == ExitAuth && a.credKind == credStoredLogin && !errors.Is(err, client.ErrForbidden):
		fmt.Fprintln(stderr, "The stored login was refused: run 'mindpeeker auth login' to log in again.")
	case errors.Is(err, client.ErrNotFound) && (a.listing || isBareNotFound(err)):
		fmt.Fprintf(stderr, "The server does not know this path: check %s / --base-url; it should end in /v1 (default %s).\n",
			client.EnvBaseURL, client.DefaultBaseURL)
	}
	return code
}

// maxErrorText bounds the error line printed on stderr, in runes: its parts
// from servers are bounded already, this bounds their sum.
const maxErrorText = 2000

// usageError marks an error as the caller's mistake (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// action wraps a command's code: it records that parsing and validation are
// over, so that the errors it returns are classified by their kind.
func (a *app) action(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.started = true
		return fn(cmd, args)
	}
}

// exitCode classifies err; see the Exit constants.
func (a *app) exitCode(err error) int {
	var ue *usageError
	switch {
	case !a.started || errors.As(err, &ue) || errors.Is(err, client.ErrInvalidID):
		// An argument that is not an id is refused before anything is sent.
		return ExitUsage
	case errors.Is(err, auth.ErrInsecureURL):
		// Plain http to a remote host, wherever the URL came from (base,
		// token or authorize URL) and whenever it is noticed: a configuration
		// mistake, not a refusal or a network failure.
		return ExitUsage
	case isAuthFailure(err):
		return ExitAuth
	default:
		return ExitError
	}
}

// groupArgs is the Args check of a command that only holds subcommands: an
// argument there is an unknown subcommand. cobra accepts it silently on
// anything but the root.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return errors.New(msg)
}

// groupCommand returns a command holding subcommands; run alone it prints its help.
func groupCommand(use, short, long string) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Long: long,
		Args:                       groupArgs,
		RunE:                       func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SuggestionsMinimumDistance: 2,
	}
}

// exactArgs is cobra.ExactArgs with a message naming what is missing.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return fmt.Errorf("missing argument %s", strings.ToUpper(names[len(args)]))
		case len(args) > len(names):
			return fmt.Errorf("too many arguments: %s takes %d, got %d", cmd.CommandPath(), len(names), len(args))
		}
		for i, arg := range args {
			if strings.TrimSpace(arg) == "" {
				return fmt.Errorf("argument %s is empty", strings.ToUpper(names[i]))
			}
		}
		return nil
	}
}

// isBareNotFound reports whether err is a 404 without the API's JSON error
// body (a web server's "404 page not found"): the path is unknown to the
// server, as opposed to the API saying that one object does not exist.
func isBareNotFound(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.StatusCode == 404 && ae.Code == ""
}
