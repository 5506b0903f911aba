package main

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
)

// fakeSite is a minimal in-process MindTouch site: it checks the X-Deki-Token
// of every request as a real site does (known key, HMAC-SHA256 with the key's
// secret, signed within mindtouch.SignatureLifetime of its clock) and answers
// GET /@api/deki/pages/home/info and GET /@api/deki/users/current in XML.
type fakeSite struct {
	srv     *httptest.Server
	now     func() time.Time
	secrets map[string]string // key -> secret

	mu      sync.Mutex
	refused []string // why requests were refused, in order
}

func newFakeSite(now func() time.Time, key, secret string) *fakeSite {
	f := &fakeSite{now: now, secrets: map[string]string{key: secret}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /@api/deki/pages/home/info", f.authorized(func(w http.ResponseWriter, r *http.Request, user string) {
		writeXML(w, http.StatusOK, pageInfo{ID: 1, Title: "Home", Path: "", Href: f.srv.URL + "/@api/deki/pages/1/info"})
	}))
	mux.HandleFunc("GET /@api/deki/users/current", f.authorized(func(w http.ResponseWriter, r *http.Request, user string) {
		writeXML(w, http.StatusOK, userInfo{ID: 2, Username: user})
	}))
	f.srv = httptest.NewServer(mux)
	return f
}

func (f *fakeSite) URL() string { return f.srv.URL }
func (f *fakeSite) Close()      { f.srv.Close() }

// Refused returns why the site refused requests so far.
func (f *fakeSite) Refused() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.refused...)
}

// authorized verifies the X-Deki-Token and passes the signed-in username on.
func (f *fakeSite) authorized(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, err := f.verify(r.Header.Get(mindtouch.HeaderName))
		if err != nil {
			f.mu.Lock()
			f.refused = append(f.refused, err.Error())
			f.mu.Unlock()
			writeXML(w, http.StatusUnauthorized, apiError{Status: 401, Title: "Unauthorized", Message: err.Error()})
			return
		}
		h(w, r, username(user))
	}
}

// verify checks a header and returns its user part.
func (f *fakeSite) verify(header string) (user string, err error) {
	if header == "" {
		return "", fmt.Errorf("no %s header", mindtouch.HeaderName)
	}
	key, _, user, _, err := mindtouch.ParseToken(header)
	if err != nil {
		return "", err
	}
	secret, ok := f.secrets[key]
	if !ok {
		return "", fmt.Errorf("unknown key %q", key)
	}
	return user, mindtouch.Verify(header, secret, f.now(), mindtouch.SignatureLifetime)
}

// username turns the token's user part into a name: "=jane@example.com" is
// "jane@example.com" (sent as given, unencoded); a numeric id maps to "admin"
// in this fake.
func username(user string) string {
	if name, ok := strings.CutPrefix(user, "="); ok {
		return name
	}
	return "admin"
}

type pageInfo struct {
	XMLName xml.Name `xml:"page"`
	ID      int      `xml:"id,attr"`
	Href    string   `xml:"href,attr"`
	Title   string   `xml:"title"`
	Path    string   `xml:"path"`
}

type userInfo struct {
	XMLName  xml.Name `xml:"user"`
	ID       int      `xml:"id,attr"`
	Username string   `xml:"username"`
}

type apiError struct {
	XMLName xml.Name `xml:"error"`
	Status  int      `xml:"status"`
	Title   string   `xml:"title"`
	Message string   `xml:"message"`
}

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(v)
}
