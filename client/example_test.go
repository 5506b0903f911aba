package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// A client pointed at the in-process fake: the same code talks to the real API
// with client.NewFromEnv().
func ExampleNew() {
	srv := mindpeekertest.NewServer()
	defer srv.Close()

	c, err := client.New(client.Config{
		BaseURL:      srv.APIURL(),
		TokenURL:     srv.TokenURL(),
		ClientID:     mindpeekertest.DefaultClientID,
		ClientSecret: mindpeekertest.DefaultClientSecret,
		Scopes:       []string{client.ScopeRemoteViewingRead, client.ScopeRemoteViewingWrite},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	s, err := c.Sessions.Create(ctx, &sessions.CreateParams{Title: "Target 4471"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Title, s.Status)
	// Output: Target 4471 pending
}

// The sentinels make the common checks one line; *APIError has the details.
func ExampleAPIError() {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	c, _ := client.New(client.Config{BaseURL: srv.APIURL(), TokenURL: srv.TokenURL(),
		ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret})

	_, err := c.Sessions.Get(context.Background(), "ses_missing")
	fmt.Println(errors.Is(err, client.ErrNotFound))
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	// Output:
	// true
	// 404 not_found
}

// A rotation whose answer never arrived can be repeated with its
// Idempotency-Key: the server answers with the key it already made.
func ExampleWithIdempotencyKey() {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	id, _ := srv.CreateAPIKey("deploy", client.ScopeRemoteViewingRead)
	// No retries and no keep-alives, so that the one lost answer below is not
	// recovered by a retry (net/http itself replays a request carrying an
	// Idempotency-Key once when a reused connection closes).
	c, _ := client.New(client.Config{BaseURL: srv.APIURL(), TokenURL: srv.TokenURL(),
		ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret,
		MaxRetries: -1, HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}})
	srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultDropAfter, Target: "POST /v1/api-keys/"})

	ctx := context.Background()
	_, err := c.APIKeys.Rotate(ctx, id)
	var unconfirmed *client.UnconfirmedError
	if errors.As(err, &unconfirmed) {
		k, err := c.APIKeys.Rotate(client.WithIdempotencyKey(ctx, unconfirmed.IdempotencyKey), id)
		fmt.Println(err == nil, k.Key != "", srv.Stats().Rotations)
	}
	// Output: true true 1
}
