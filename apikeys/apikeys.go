// Package apikeys is the MindPeeker API keys service: list, create, get, revoke
// and rotate the keys that authenticate with X-API-Key. Programs use it through
// client.Client.APIKeys.
//
// The full key is returned only by Create and Rotate, once: store it then. An
// APIKey never prints its key in full (fmt, slog).
package apikeys

import (
	"context"
	"iter"
	"net/url"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/pager"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// ListParams selects the page size of List (0: the server's default, 20; at most 100).
type ListParams struct {
	Limit int
}

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
// breaking out of the loop fetches no more pages. p may be nil.
func (s *Service) List(ctx context.Context, p *ListParams) iter.Seq2[*APIKey, error] {
	limit := 0
	if p != nil {
		limit = p.Limit
	}
	return pager.List[APIKey](ctx, s.engine, "/api-keys", limit)
}

// Get returns the key with the given id, without its secret value.
func (s *Service) Get(ctx context.Context, id string) (*APIKey, error) {
	return s.send(ctx, "GET", "/api-keys/"+url.PathEscape(id), nil)
}

// Create creates a key and returns it with its full Key, which the server never
// shows again.
func (s *Service) Create(ctx context.Context, p *CreateParams) (*APIKey, error) {
	return s.send(ctx, "POST", "/api-keys", p)
}

// Revoke revokes the key with the given id; it stops authenticating at once.
func (s *Service) Revoke(ctx context.Context, id string) error {
	return s.engine.Do(ctx, "DELETE", "/api-keys/"+url.PathEscape(id), nil, nil)
}

// Rotate replaces the key with the given id: it returns the new key (a new ID
// and full Key) and the old key is revoked. The request carries an
// Idempotency-Key, so when the answer is lost on the wire the retry returns the
// same new key and the server rotates only once.
func (s *Service) Rotate(ctx context.Context, id string) (*APIKey, error) {
	return s.send(ctx, "POST", "/api-keys/"+url.PathEscape(id)+"/rotate", nil)
}

func (s *Service) send(ctx context.Context, method, path string, in any) (*APIKey, error) {
	out := new(APIKey)
	if err := s.engine.Do(ctx, method, path, in, out); err != nil {
		return nil, err
	}
	return out, nil
}
