package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// apiCommand is "mindpeeker api": any endpoint through client.Client.Do, with
// the SDK's whole policy, like "gh api".
func (a *app) apiCommand() *cobra.Command {
	var (
		method, data, idemKey string
	)
	cmd := &cobra.Command{
		Use:   "api [-X METHOD] PATH [--data JSON]",
		Short: "Call any API endpoint and print its JSON answer",
		Long: `Call any endpoint of the API, relative to the base URL, with the same
credentials and policy as every other command (a 401 renewed once, Retry-After
waited out, 5xx retried, an Idempotency-Key on POST), and print the answer's
JSON body on stdout, indented. An answer without a body prints nothing.

The method is GET, or POST when --data is given; -X sets another. --data is
the JSON request body. A non-2xx answer is an error, with the usual exit codes.
` + lostAnswerHelp("a POST is carried out only once"),
		Example: `  mindpeeker api /user/profile
  mindpeeker api /sessions --data '{"title":"Target 4471"}' | jq -r .id
  mindpeeker api -X DELETE /sessions/ses_0000000a1b2c3d4e`,
		Args: exactArgs("path"),
		RunE: a.action(func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if u, err := url.Parse(path); err != nil || u.IsAbs() || u.Host != "" {
				return usageErrorf("invalid PATH %q: give a path relative to the base URL, such as /user/profile", path)
			}
			method = strings.ToUpper(method)
			if method == "" {
				method = map[bool]string{true: "POST", false: "GET"}[data != ""]
			}
			if strings.Trim(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				return usageErrorf("invalid -X %q: use an HTTP method such as GET or POST", method)
			}
			var body any
			if data != "" {
				if !json.Valid([]byte(data)) {
					return usageErrorf("invalid --data: not JSON")
				}
				body = json.RawMessage(data)
			}
			if err := checkIdempotencyKey(idemKey); err != nil {
				return err
			}
			c, err := a.newClient(cmd.Context())
			if err != nil {
				return err
			}
			out, err := idempotent(cmd.Context(), a, idemKey, func(ctx context.Context) (json.RawMessage, error) {
				var out json.RawMessage
				_, err := c.Do(ctx, method, path, body, &out)
				return out, err
			})
			if err != nil {
				return fmt.Errorf("%s %s: %w", method, cleanCell(path), err)
			}
			return printRaw(a, out)
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&method, "method", "X", "", "HTTP method (default GET, or POST with --data)")
	f.StringVar(&data, "data", "", "JSON request body")
	addIdempotencyKeyFlag(cmd, &idemKey)
	return cmd
}

// printRaw prints an answer's JSON body indented; a body that is not JSON is
// an error (it is not echoed to the terminal).
func printRaw(a *app, body json.RawMessage) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return fmt.Errorf("the answer is not JSON (%d bytes)", len(body))
	}
	buf.WriteByte('\n')
	_, err := a.stdout.Write(buf.Bytes())
	return err
}
