package mindpeekertest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// This file is the sessions resource: /v1/sessions and /v1/sessions/{id}.

// session is a stored remote-viewing session.
type session struct {
	id       string
	title    string
	status   string
	targetID string
	notes    string
	created  time.Time
	updated  time.Time
}

func (ss *session) wire() wireSession {
	return wireSession{
		ID: ss.id, Title: ss.title, Status: ss.status, TargetID: ss.targetID, Notes: ss.notes,
		CreatedAt: ss.created, UpdatedAt: ss.updated,
	}
}

// CreateSession adds a session with the given title (status "pending") and
// returns its id. Use it to set up tests; it does not count in
// Stats.SessionsCreated, which counts API calls.
func (s *Server) CreateSession(title string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createSessionLocked(title, "", "", "pending").id
}

func (s *Server) createSessionLocked(title, targetID, notes, status string) *session {
	now := s.now().UTC()
	ss := &session{
		id: s.newIDLocked("ses_"), title: title, status: status,
		targetID: targetID, notes: notes, created: now, updated: now,
	}
	s.st.sessions[ss.id] = ss
	return ss
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, _ []byte, _ *principal, _ string) {
	pr, aerr := parsePageRequest(r.URL.Query(), "ses")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	s.mu.Lock()
	items := make([]wireSession, 0, len(s.st.sessions))
	for _, ss := range s.st.sessions {
		items = append(items, ss.wire())
	}
	s.mu.Unlock()
	page := paginate(items, func(x wireSession) cursorKey { return cursorKey{x.CreatedAt, x.ID} }, pr, "ses")
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) createSession(w http.ResponseWriter, _ *http.Request, body []byte, _ *principal, _ string) {
	var in wireCreateSession
	if err := json.Unmarshal(body, &in); err != nil {
		writeAPIError(w, errInvalidRequest("the body must be a JSON object with a title"))
		return
	}
	if strings.TrimSpace(in.Title) == "" {
		writeAPIError(w, errInvalidRequest("title is required"))
		return
	}
	s.mu.Lock()
	ss := s.createSessionLocked(in.Title, in.TargetID, in.Notes, "pending")
	s.st.stats.SessionsCreated++
	out := ss.wire()
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) getSession(w http.ResponseWriter, _ *http.Request, _ []byte, _ *principal, id string) {
	s.mu.Lock()
	ss := s.st.sessions[id]
	var out wireSession
	if ss != nil {
		out = ss.wire()
	}
	s.mu.Unlock()
	if ss == nil {
		writeAPIError(w, errNotFound("no session with that id"))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteSession(w http.ResponseWriter, _ *http.Request, _ []byte, _ *principal, id string) {
	s.mu.Lock()
	_, ok := s.st.sessions[id]
	delete(s.st.sessions, id)
	s.mu.Unlock()
	if !ok {
		writeAPIError(w, errNotFound("no session with that id"))
		return
	}
	writeNoContent(w)
}
