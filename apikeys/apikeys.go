// Package apikeys is the MindPeeker API keys service: list, create, get, revoke
// and rotate the keys that authenticate with X-API-Key. Programs use it through
// client.Client.APIKeys.
//
// The full key is returned only by Create and Rotate, once: store it then. An
// APIKey never prints its key in full (fmt, slog).
package apikeys

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/ids"
	"github.com/mindpeeker/mindpeeker-go/internal/pager"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// ListParams selects the page size of List (0: the server's default, 20; at
// most 100) and where the listing starts: Cursor "" is the first page, else the
// NextCursor of a [Page] from an earlier listing, to resume it.
type ListParams struct {
	Limit  int
	Cursor string
}

// Page is one page of keys. NextCursor, when HasMore, resumes the listing after
// this page (ListParams.Cursor).
type Page = pager.Page[APIKey]

// CreateParams describes a new key. Name and at least one scope are required;
// ExpiresAt nil means the key does not expire.
type CreateParams struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Service calls the API keys endpoints. Get one from client.Client.APIKeys.
type Service struct {
	engine *transport.Engine
}

// NewService returns a Service sending requests through e. It is called by
// client.New; programs use client.Client.APIKeys instead.
func NewService(e *transport.Engine) *Service { return &Service{engine: e} }

// List yields every key (without its secret value), fetching pages lazily:
// breaking out of the loop fetches no more pages. p may be nil. A server whose
// pagination would never end is an error wrapping client.ErrPagination.
func (s *Service) List(ctx context.Context, p *ListParams) iter.Seq2[*APIKey, error] {
	return pager.Items(s.ListPages(ctx, p))
}

// ListPages is List a page at a time, for a listing that must be resumable (a
// script rotating thousands of keys): after handling a page, keep its
// NextCursor; a listing started again with ListParams.Cursor set to it yields
// exactly the keys not yet seen.
func (s *Service) ListPages(ctx context.Context, p *ListParams) iter.Seq2[*Page, error] {
	if p == nil {
		p = &ListParams{}
	}
	return pager.List[APIKey](ctx, s.engine, "/api-keys", p.Limit, p.Cursor)
}

// Get returns the key with the given id, without its secret value;
// client.ErrInvalidID (nothing sent) when id is not an id.
func (s *Service) Get(ctx context.Context, id string) (*APIKey, error) {
	path, err := ids.Path("/api-keys", id, "")
	if err != nil {
		return nil, err
	}
	return s.send(ctx, "GET", path, nil, false)
}

// Create creates a key and returns it with its full Key, which the server never
// shows again.
func (s *Service) Create(ctx context.Context, p *CreateParams) (*APIKey, error) {
	return s.send(ctx, "POST", "/api-keys", p, true)
}

// Revoke revokes the key with the given id; it stops authenticating at once.
func (s *Service) Revoke(ctx context.Context, id string) error {
	path, err := ids.Path("/api-keys", id, "")
	if err != nil {
		return err
	}
	return s.engine.Do(ctx, "DELETE", path, nil, nil)
}

// Rotate replaces the key with the given id: it returns the new key (a new ID
// and full Key) and the old key is revoked. The request carries an
// Idempotency-Key, so when the answer is lost on the wire the retry returns the
// same new key and the server rotates only once.
//
// An answer without the new key is an *UnconfirmedError wrapping
// client.ErrNotObject: the old key may already be revoked, so do not retry
// blindly; repeat the call with WithIdempotencyKey(ctx, err.IdempotencyKey) to
// get the server's stored answer.
func (s *Service) Rotate(ctx context.Context, id string) (*APIKey, error) {
	path, err := ids.Path("/api-keys", id, "/rotate")
	if err != nil {
		return nil, err
	}
	return s.send(ctx, "POST", path, nil, true)
}

// send makes one call answered by a key, which must have an id and, when
// withKey (Create, Rotate), its secret value.
func (s *Service) send(ctx context.Context, method, path string, in any, withKey bool) (*APIKey, error) {
	out := new(APIKey)
	check := func() error {
		switch {
		case out.ID == "":
			return errors.New("no key id")
		case withKey && out.Key == "":
			return errors.New("no key value (after a rotation the old key may already be revoked)")
		}
		return nil
	}
	if err := s.engine.Do(ctx, method, path, in, transport.Object(out, check)); err != nil {
		return nil, err
	}
	return out, nil
}
