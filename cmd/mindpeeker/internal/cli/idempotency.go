package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// idempotencyKeyFlag is the flag of the commands that create something.
const idempotencyKeyFlag = "idempotency-key"

// maxIdempotencyKey bounds the length of --idempotency-key.
const maxIdempotencyKey = 255

// addIdempotencyKeyFlag adds --idempotency-key to cmd, stored in key.
func addIdempotencyKeyFlag(cmd *cobra.Command, key *string) {
	cmd.Flags().StringVar(key, idempotencyKeyFlag, "",
		"Idempotency-Key to send (one printed after a lost answer): get the stored answer, do not act again")
}

// checkIdempotencyKey validates a --idempotency-key value: empty (a new key
// per run), or up to 255 printable ASCII characters without spaces, as a
// header value must be.
func checkIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKey {
		return usageErrorf("invalid --%s: longer than %d characters", idempotencyKeyFlag, maxIdempotencyKey)
	}
	for _, r := range key {
		if r <= ' ' || r > '~' {
			return usageErrorf("invalid --%s %q: use printable ASCII characters without spaces", idempotencyKeyFlag, key)
		}
	}
	return nil
}

// lostAnswerError is returned when a call that changes something got no
// answer twice: on its first run (after the SDK's retries) and when asked
// again with the same Idempotency-Key. The server may have carried it out; the
// key, within the server's 24 hours, gets its stored answer.
type lostAnswerError struct {
	key string
	err error
}

func (e *lostAnswerError) Error() string {
	err := e.err
	if ue, ok := err.(*client.UnconfirmedError); ok && ue.Err != nil {
		err = ue.Err // its own advice says the same in the SDK's terms
	}
	return fmt.Sprintf("%v; it may have been carried out: run the same command again with --%s %s "+
		"to get its answer without doing it twice", err, idempotencyKeyFlag, e.key)
}

func (e *lostAnswerError) Unwrap() error { return e.err }

// idempotent runs call, a create or rotate, with key as its Idempotency-Key
// when key is not empty. When its answer is lost even after the SDK's retries
// (an *client.UnconfirmedError), it asks once more, at once, with the same
// Idempotency-Key: the server answers with what it stored for that key (the
// new API key, say) or, if the first request never reached it, acts now, so
// that the thing is created only once. A second failure keeps the key in the
// error for the user to ask again later.
func idempotent[T any](ctx context.Context, a *app, key string, call func(context.Context) (T, error)) (T, error) {
	if key != "" {
		ctx = client.WithIdempotencyKey(ctx, key)
	}
	v, err := call(ctx)
	var ue *client.UnconfirmedError
	if !errors.As(err, &ue) || ue.IdempotencyKey == "" {
		return v, err
	}
	fmt.Fprintf(a.stderr, "The answer was lost; asking again with idempotency key %s.\n", ue.IdempotencyKey)
	v, err = call(client.WithIdempotencyKey(ctx, ue.IdempotencyKey))
	if err != nil && answerLost(err) {
		return v, &lostAnswerError{key: ue.IdempotencyKey, err: err}
	}
	return v, err
}

// answerLost reports whether err leaves open whether the server acted: no
// answer, or a 5xx. Any other API error is the server's definite answer for
// the Idempotency-Key, which asking again would only repeat.
func answerLost(err error) bool {
	var ae *client.APIError
	return !errors.As(err, &ae) || ae.StatusCode >= 500
}

// lostAnswerHelp is the paragraph of a command's help about lost answers;
// outcome says what the idempotency key guarantees ("the key is rotated only
// once").
func lostAnswerHelp(outcome string) string {
	return `
The request carries an idempotency key. When its answer is lost even after the
retries, the command asks once more with the same key, and the server answers
with what it did the first time, or acts now if the first request never
reached it: ` + outcome + `.
If that answer is lost too, the error shows the key: run the same command
again with --idempotency-key KEY (within 24 hours) to get the answer.`
}
