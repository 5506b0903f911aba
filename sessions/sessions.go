// Package sessions is the MindPeeker sessions service: list, create, get and
// delete remote-viewing sessions. Programs use it through client.Client.Sessions.
package sessions

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/ids"
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

// ListParams selects the page size of List (0: the server's default, 20; at
// most 100) and where the listing starts: Cursor "" is the first page, else the
// NextCursor of a [Page] from an earlier listing, to resume it.
type ListParams struct {
	Limit  int
	Cursor string
}

// Page is one page of sessions. NextCursor, when HasMore, resumes the listing
// after this page (ListParams.Cursor).
type Page = pager.Page[Session]

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
// fetches no more pages. p may be nil. An error ends the sequence; a server
// whose pagination would never end (a cursor cycle, endless empty pages) is
// an error wrapping client.ErrPagination.
func (s *Service) List(ctx context.Context, p *ListParams) iter.Seq2[*Session, error] {
	return pager.Items(s.ListPages(ctx, p))
}

// ListPages is List a page at a time, for a listing that must be resumable:
// after handling a page, keep its NextCursor; a listing started again with
// ListParams.Cursor set to it yields exactly the sessions not yet seen.
func (s *Service) ListPages(ctx context.Context, p *ListParams) iter.Seq2[*Page, error] {
	if p == nil {
		p = &ListParams{}
	}
	return pager.List[Session](ctx, s.engine, "/sessions", p.Limit, p.Cursor)
}

// Get returns the session with the given id; errors.Is(err, client.ErrNotFound)
// when there is none, client.ErrInvalidID (nothing sent) when id is not an id.
func (s *Service) Get(ctx context.Context, id string) (*Session, error) {
	path, err := ids.Path("/sessions", id, "")
	if err != nil {
		return nil, err
	}
	return s.send(ctx, "GET", path, nil)
}

// Create creates a session. It is sent with an Idempotency-Key, so a retry after
// a lost answer never creates it twice.
func (s *Service) Create(ctx context.Context, p *CreateParams) (*Session, error) {
	return s.send(ctx, "POST", "/sessions", p)
}

// Delete deletes the session with the given id; client.ErrInvalidID (nothing
// sent) when id is not an id.
func (s *Service) Delete(ctx context.Context, id string) error {
	path, err := ids.Path("/sessions", id, "")
	if err != nil {
		return err
	}
	return s.engine.Do(ctx, "DELETE", path, nil, nil)
}

// send makes one call answered by a session, which must have an id.
func (s *Service) send(ctx context.Context, method, path string, in any) (*Session, error) {
	out := new(Session)
	check := func() error {
		if out.ID == "" {
			return errors.New("no session id")
		}
		return nil
	}
	if err := s.engine.Do(ctx, method, path, in, transport.Object(out, check)); err != nil {
		return nil, err
	}
	return out, nil
}
