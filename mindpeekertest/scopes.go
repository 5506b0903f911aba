package mindpeekertest

import (
	"slices"
	"strings"
)

// knownScopes are the scopes of the MindPeeker API (API.md section 1).
var knownScopes = []string{
	"remote-viewing:read", "remote-viewing:write", "remote-viewing:delete", "remote-viewing:admin",
	"dowsing:read", "dowsing:write", "dowsing:delete", "dowsing:admin",
	"analytics:read", "analytics:export", "analytics:admin",
	"profile", "email",
	"organizations:read", "organizations:write",
}

func isKnownScope(s string) bool { return slices.Contains(knownScopes, s) }

// Scopes an API route accepts (any one of them will do).
var (
	scopesSessionsRead   = []string{"remote-viewing:read", "remote-viewing:write", "remote-viewing:admin"}
	scopesSessionsWrite  = []string{"remote-viewing:write", "remote-viewing:admin"}
	scopesSessionsDelete = []string{"remote-viewing:delete", "remote-viewing:admin"}
)

// scopeSet is what a token, code or API key may do. all means no
// restriction: every scope, including ones the server does not know.
type scopeSet struct {
	all  bool
	list []string
}

// hasAny reports whether the set grants at least one of want.
func (s scopeSet) hasAny(want []string) bool {
	if s.all {
		return true
	}
	for _, w := range want {
		if slices.Contains(s.list, w) {
			return true
		}
	}
	return false
}

// missing returns the scopes of want that the set does not grant, in the
// order of want; none for an unrestricted set.
func (s scopeSet) missing(want []string) []string {
	if s.all {
		return nil
	}
	var out []string
	for _, w := range want {
		if !slices.Contains(s.list, w) {
			out = append(out, w)
		}
	}
	return out
}

// String is the space-separated form used in the "scope" response field.
// An unrestricted set is spelled as every known scope.
func (s scopeSet) String() string {
	if s.all {
		return strings.Join(knownScopes, " ")
	}
	return strings.Join(s.list, " ")
}

// parseScope splits a space-separated scope parameter, dropping duplicates.
func parseScope(param string) []string {
	var out []string
	for _, f := range strings.Fields(param) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// grantScope decides the scope of a new grant. within is what may be
// granted (the client's allowed scopes, or the original grant's scope on a
// refresh); requested is the raw "scope" parameter. ok is false when a
// requested scope is outside within (invalid_scope).
func grantScope(within scopeSet, requested string) (granted scopeSet, ok bool) {
	req := parseScope(requested)
	if len(req) == 0 {
		return within, true
	}
	for _, r := range req {
		if within.all {
			if !isKnownScope(r) {
				return scopeSet{}, false
			}
			continue
		}
		if !slices.Contains(within.list, r) {
			return scopeSet{}, false
		}
	}
	return scopeSet{list: req}, true
}
