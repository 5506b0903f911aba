// Package sessions is the MindPeeker sessions service: list, create, get and
// delete remote-viewing sessions. Programs use it through client.Client.Sessions.
package sessions

import (
	"context"
	"iter"
	"net/url"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/pager"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// Status is a session's lifecycle state.
type Status string

// The states a session goes through.
const (
	StatusPending   Status = "pending"
	StatusActive    Status = "active"
	StatusCompleted Status = "completed"
	StatusCancelled Status = "cancelled"
)

// Session is a remote-viewing session.
type Session struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Status    Status    `json:"status"`
	TargetID  string    `json:"target_id,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ListParams selects the page size of List (0: the server's default, 20; at most 100).
type ListParams struct {
	Limit int
}

// CreateParams describes a new session. Title is required.
type CreateParams struct {
	Title    string `json:"title"`
	TargetID string `json:"target_id,omitempty"`
	Notes    string `json:"notes,omitempty"`
}

// Service calls the sessions endpoints. Get one from client.Client.Sessions.
type Service struct {
	engine *transport.Engine
}

// NewService returns a Service sending requests through e. It is called by
// client.New; programs use client.Client.Sessions instead.
func NewService(e *transport.Engine) *Service { return &Service{engine: e} }

// List yields every session, fetching pages lazily: breaking out of the loop
// fetches no more pages. p may be nil. An error ends the sequence.
func (s *Service) List(ctx context.Context, p *ListParams) iter.Seq2[*Session, error] {
	limit := 0
	if p != nil {
		limit = p.Limit
	}
	return pager.List[Session](ctx, s.engine, "/sessions", limit)
}

// Get returns the session with the given id; errors.Is(err, client.ErrNotFound)
// when there is none.
func (s *Service) Get(ctx context.Context, id string) (*Session, error) {
	out := new(Session)
	if err := s.engine.Do(ctx, "GET", "/sessions/"+url.PathEscape(id), nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Create creates a session. It is sent with an Idempotency-Key, so a retry after
// a lost answer never creates it twice.
func (s *Service) Create(ctx context.Context, p *CreateParams) (*Session, error) {
	out := new(Session)
	if err := s.engine.Do(ctx, "POST", "/sessions", p, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Delete deletes the session with the given id.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.engine.Do(ctx, "DELETE", "/sessions/"+url.PathEscape(id), nil, nil)
}
