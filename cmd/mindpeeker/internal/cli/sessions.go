package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mindpeeker/mindpeeker-go/sessions"
)

func (a *app) sessionsCommand() *cobra.Command {
	cmd := groupCommand("sessions", "List, show, create and delete remote-viewing sessions",
		"List, show, create and delete remote-viewing sessions.")
	cmd.Aliases = []string{"session"}
	cmd.AddCommand(a.sessionsList(), a.sessionsGet(), a.sessionsCreate(), a.sessionsDelete())
	return cmd
}

func (a *app) sessionsList() *cobra.Command {
	var (
		limit  int
		cursor string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every session",
		Long: `List every session, fetching page after page until the last one.

Table output is printed page by page as it arrives; -o json prints one JSON
array holding the sessions of every page. --limit sets the page size, not a
total. A listing that stops early (an error, Ctrl-C) prints on stderr the
cursor that resumes it: --cursor CURSOR lists from there.`,
		Example: `  mindpeeker sessions list
  mindpeeker sessions list --limit 100 -o json | jq -r '.[] | select(.status == "active") | .id'`,
		Args: exactArgs(),
		RunE: a.action(func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("limit") && (limit < 1 || limit > 100) {
				return usageErrorf("invalid --limit %d: use 1 to 100", limit)
			}
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			var next string
			pages := c.Sessions.ListPages(cmd.Context(), &sessions.ListParams{Limit: limit, Cursor: cursor})
			err = printList(a, resumable(pages, cursor, &next), pageSize(limit), []string{"ID", "STATUS", "CREATED", "TITLE"},
				func(s *sessions.Session) []string {
					return []string{s.ID, string(s.Status), fmtDate(s.CreatedAt), s.Title}
				}, "sessions")
			if err != nil {
				a.noteResume(cmd, cursor, next)
				return fmt.Errorf("listing sessions: %w", err)
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "page size, 1 to 100 (default: the server's, 20)")
	addCursorFlag(cmd, &cursor)
	return cmd
}

func (a *app) sessionsGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one session",
		Example: `  mindpeeker sessions get ses_0000000a1b2c3d4e
  mindpeeker sessions get ses_0000000a1b2c3d4e -o json | jq -r .status`,
		Args: exactArgs("id"),
		RunE: a.action(func(cmd *cobra.Command, args []string) error {
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			s, err := c.Sessions.Get(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("getting session %s: %w", args[0], err)
			}
			return a.printSession(s)
		}),
	}
}

func (a *app) sessionsCreate() *cobra.Command {
	var (
		p       sessions.CreateParams
		idemKey string
	)
	cmd := &cobra.Command{
		Use:   "create --title TITLE [--target-id ID] [--notes TEXT] [--idempotency-key KEY]",
		Short: "Create a session",
		Long: `Create a session and print it.
` + lostAnswerHelp("the session is created only once"),
		Example: `  mindpeeker sessions create --title "Target 4471-9823" --target-id tgt_4471-9823
  id=$(mindpeeker sessions create --title "Lost keys" -o json | jq -r .id)`,
		Args: exactArgs(),
		RunE: a.action(func(cmd *cobra.Command, _ []string) error {
			if p.Title == "" {
				return usageErrorf("--title is required")
			}
			if err := checkIdempotencyKey(idemKey); err != nil {
				return err
			}
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			s, err := idempotent(cmd.Context(), a, idemKey, func(ctx context.Context) (*sessions.Session, error) {
				return c.Sessions.Create(ctx, &p)
			})
			if err != nil {
				return fmt.Errorf("creating session: %w", err)
			}
			return a.printSession(s)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&p.Title, "title", "", "title of the session (required)")
	f.StringVar(&p.TargetID, "target-id", "", "id of the target to view")
	f.StringVar(&p.Notes, "notes", "", "free-form notes")
	addIdempotencyKeyFlag(cmd, &idemKey)
	return cmd
}

func (a *app) sessionsDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a session",
		Long: `Delete a session. Nothing is printed on stdout (the exit code tells the
outcome); in table mode a confirmation goes to stderr.`,
		Example: `  mindpeeker sessions delete ses_0000000a1b2c3d4e`,
		Args:    exactArgs("id"),
		RunE: a.action(func(cmd *cobra.Command, args []string) error {
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.Sessions.Delete(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("deleting session %s: %w", args[0], err)
			}
			if !a.jsonOutput() {
				fmt.Fprintf(a.stderr, "Deleted session %s.\n", cleanCell(args[0]))
			}
			return nil
		}),
	}
}

// printSession prints one session: its JSON, or its fields.
func (a *app) printSession(s *sessions.Session) error {
	if a.jsonOutput() {
		return printJSON(a.stdout, s)
	}
	return printFields(a.stdout, [][2]string{
		{"ID", s.ID},
		{"TITLE", s.Title},
		{"STATUS", string(s.Status)},
		{"TARGET ID", orDash(s.TargetID)},
		{"NOTES", orDash(s.Notes)},
		{"CREATED", fmtStamp(s.CreatedAt)},
		{"UPDATED", fmtStamp(s.UpdatedAt)},
	})
}

// pageSize is the number of items per page for a --limit value.
func pageSize(limit int) int {
	if limit <= 0 {
		return defaultPageSize
	}
	return limit
}
