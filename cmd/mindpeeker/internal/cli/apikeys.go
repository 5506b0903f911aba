package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// storeKeyNote is printed on stderr when a new key is printed on stdout.
const storeKeyNote = "Store this key now; it will not be shown again."

func (a *app) apikeysCommand() *cobra.Command {
	cmd := groupCommand("apikeys", "List, show, create, revoke and rotate API keys",
		`List, show, create, revoke and rotate API keys (sent as X-API-Key).

The full key is printed once, on stdout, by create and rotate; the API never
returns it again. Every other command shows only its prefix.`)
	cmd.Aliases = []string{"apikey", "api-keys"}
	cmd.AddCommand(a.apikeysList(), a.apikeysGet(), a.apikeysCreate(), a.apikeysRevoke(), a.apikeysRotate())
	return cmd
}

func (a *app) apikeysList() *cobra.Command {
	var cursor string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every API key (without the secret values)",
		Long: `List every API key (without the secret values), page after page. A
listing that stops early (an error, Ctrl-C) prints on stderr the cursor that
resumes it: --cursor CURSOR lists from there.`,
		Example: `  mindpeeker apikeys list
  mindpeeker apikeys list -o json | jq -r '.[] | select(.revoked_at == null) | .id'`,
		Args: exactArgs(),
		RunE: a.action(func(cmd *cobra.Command, _ []string) error {
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			now := a.now()
			var next string
			pages := c.APIKeys.ListPages(cmd.Context(), &apikeys.ListParams{Cursor: cursor})
			err = printList(a, resumable(pages, cursor, &next), defaultPageSize,
				[]string{"ID", "PREFIX", "STATUS", "EXPIRES", "NAME"},
				func(k *apikeys.APIKey) []string {
					exp := "never"
					if k.ExpiresAt != nil {
						exp = fmtDate(*k.ExpiresAt)
					}
					return []string{k.ID, k.Prefix, keyStatus(k, now), exp, k.Name}
				}, "API keys")
			if err != nil {
				a.noteResume(cmd, cursor, next)
				return fmt.Errorf("listing API keys: %w", err)
			}
			return nil
		}),
	}
	addCursorFlag(cmd, &cursor)
	return cmd
}

func (a *app) apikeysGet() *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show one API key (without its secret value)",
		Example: `  mindpeeker apikeys get key_0000000a1b2c3d4e`,
		Args:    exactArgs("id"),
		RunE: a.action(func(cmd *cobra.Command, args []string) error {
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			k, err := c.APIKeys.Get(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("getting API key %s: %w", args[0], err)
			}
			return a.printKey(k)
		}),
	}
}

func (a *app) apikeysCreate() *cobra.Command {
	var (
		name                string
		scopes              []string
		expiresIn, expireAt string
		idemKey             string
	)
	cmd := &cobra.Command{
		Use:   "create --name NAME --scope SCOPE [--scope SCOPE ...] [--expires-in 90d | --expires-at TIME]",
		Short: "Create an API key and print it once",
		Long: `Create an API key. The full key is printed once, on stdout (the "key" field of
the JSON, or the KEY line of the table): store it now, it is never shown again.

--expires-in takes days (90d), hours (36h), minutes (30m, m is minutes) or a Go
duration (1h30m, 1d12h); --expires-at takes an RFC 3339 time. Without either
the key does not expire.
` + lostAnswerHelp("the key is created only once"),
		Example: `  mindpeeker apikeys create --name ci --scope remote-viewing:read --expires-in 90d
  mindpeeker apikeys create --name export --scope analytics:read --scope analytics:export \
      --expires-at 2027-01-01T00:00:00Z -o json | jq -r .key > key.txt`,
		Args: exactArgs(),
		RunE: a.action(func(cmd *cobra.Command, _ []string) error {
			p := apikeys.CreateParams{Name: name, Scopes: scopes}
			if err := checkIdempotencyKey(idemKey); err != nil {
				return err
			}
			switch {
			case name == "":
				return usageErrorf("--name is required")
			case len(scopes) == 0:
				return usageErrorf("at least one --scope is required")
			case expiresIn != "":
				d, err := parseExpiresIn(expiresIn)
				if err != nil {
					return &usageError{err}
				}
				at := a.now().Add(d).UTC().Truncate(time.Second)
				p.ExpiresAt = &at
			case expireAt != "":
				at, err := time.Parse(time.RFC3339, expireAt)
				if err != nil {
					return usageErrorf("invalid --expires-at %q: use an RFC 3339 time such as 2027-01-01T00:00:00Z", expireAt)
				}
				p.ExpiresAt = &at
			}
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			k, err := idempotent(cmd.Context(), a, idemKey, func(ctx context.Context) (*apikeys.APIKey, error) {
				return c.APIKeys.Create(ctx, &p)
			})
			if err != nil {
				return fmt.Errorf("creating API key: %w", err)
			}
			return a.printNewKey(k)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name of the key (required)")
	f.StringSliceVar(&scopes, "scope", nil, "scope the key grants; repeat or separate with commas (at least one)")
	f.StringVar(&expiresIn, "expires-in", "", "lifetime: 90d, 36h, 30m or a Go duration")
	f.StringVar(&expireAt, "expires-at", "", "expiry time, RFC 3339 (2027-01-01T00:00:00Z)")
	addIdempotencyKeyFlag(cmd, &idemKey)
	cmd.MarkFlagsMutuallyExclusive("expires-in", "expires-at")
	_ = cmd.RegisterFlagCompletionFunc("scope", cobra.FixedCompletions(allScopes, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) apikeysRevoke() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key",
		Long: `Revoke an API key: it stops authenticating at once. Nothing is printed on
stdout (the exit code tells the outcome); in table mode a confirmation goes to
stderr.`,
		Example: `  mindpeeker apikeys revoke key_0000000a1b2c3d4e`,
		Args:    exactArgs("id"),
		RunE: a.action(func(cmd *cobra.Command, args []string) error {
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.APIKeys.Revoke(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("revoking API key %s: %w", args[0], err)
			}
			if !a.jsonOutput() {
				fmt.Fprintf(a.stderr, "Revoked API key %s.\n", cleanCell(args[0]))
			}
			return nil
		}),
	}
}

func (a *app) apikeysRotate() *cobra.Command {
	var idemKey string
	cmd := &cobra.Command{
		Use:   "rotate ID [--idempotency-key KEY]",
		Short: "Replace an API key with a new one and print it once",
		Long: `Rotate an API key: the API creates a new key (new id, new value) with the same
name and scopes and revokes the old one. The new key is printed once, on
stdout; store it now, it is never shown again.
` + lostAnswerHelp("the key is rotated only once"),
		Example: `  mindpeeker apikeys rotate key_0000000a1b2c3d4e
  mindpeeker apikeys rotate key_0000000a1b2c3d4e -o json | jq -r .key > key.txt`,
		Args: exactArgs("id"),
		RunE: a.action(func(cmd *cobra.Command, args []string) error {
			if err := checkIdempotencyKey(idemKey); err != nil {
				return err
			}
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			k, err := idempotent(cmd.Context(), a, idemKey, func(ctx context.Context) (*apikeys.APIKey, error) {
				return c.APIKeys.Rotate(ctx, args[0])
			})
			if err != nil {
				return fmt.Errorf("rotating API key %s: %w", args[0], err)
			}
			fmt.Fprintf(a.stderr, "Rotated %s: the new key is %s and the old one is revoked.\n", cleanCell(args[0]), cleanCell(k.ID))
			return a.printNewKey(k)
		}),
	}
	addIdempotencyKeyFlag(cmd, &idemKey)
	return cmd
}

// printNewKey prints a key returned by create or rotate, value included, on
// stdout, and the note to store it on stderr (without the value).
func (a *app) printNewKey(k *apikeys.APIKey) error {
	if err := a.printKey(k); err != nil {
		return err
	}
	if k.Key != "" {
		fmt.Fprintln(a.stderr, storeKeyNote)
	}
	return nil
}

// printKey prints one key: its JSON (with "key" only when the API returned
// it), or its fields.
func (a *app) printKey(k *apikeys.APIKey) error {
	if a.jsonOutput() {
		return printJSON(a.stdout, k)
	}
	fields := [][2]string{{"ID", k.ID}, {"NAME", k.Name}, {"PREFIX", k.Prefix}}
	if k.Key != "" {
		fields = append(fields, [2]string{"KEY", k.Key})
	}
	fields = append(fields,
		[2]string{"SCOPES", strings.Join(k.Scopes, " ")},
		[2]string{"STATUS", keyStatus(k, a.now())},
		[2]string{"CREATED", fmtStamp(k.CreatedAt)},
		[2]string{"EXPIRES", fmtOptStamp(k.ExpiresAt, "never")},
		[2]string{"LAST USED", fmtOptStamp(k.LastUsedAt, "never")},
		[2]string{"REVOKED", fmtOptStamp(k.RevokedAt, "-")},
	)
	return printFields(a.stdout, fields)
}

// keyStatus is "revoked", "expired" or "active".
func keyStatus(k *apikeys.APIKey, now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		return "expired"
	default:
		return "active"
	}
}

// allScopes are the scopes offered by shell completion of --scope.
var allScopes = []string{
	client.ScopeRemoteViewingRead, client.ScopeRemoteViewingWrite, client.ScopeRemoteViewingDelete, client.ScopeRemoteViewingAdmin,
	client.ScopeDowsingRead, client.ScopeDowsingWrite, client.ScopeDowsingDelete, client.ScopeDowsingAdmin,
	client.ScopeAnalyticsRead, client.ScopeAnalyticsExport, client.ScopeAnalyticsAdmin,
	client.ScopeProfile, client.ScopeEmail, client.ScopeOrganizationsRead, client.ScopeOrganizationsWrite,
}
