package client_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// The servers below are written from the seed documents alone, not from the
// SDK's packages or fakes. Where a document does not show an API's error
// body, the comment says which shape was chosen and why.

// tokenBook issues opaque bearer tokens and refresh tokens and remembers which
// are valid.
type tokenBook struct {
	mu      sync.Mutex
	n       int
	access  map[string]bool
	refresh map[string]bool
}

func newTokenBook() *tokenBook {
	return &tokenBook{access: map[string]bool{}, refresh: map[string]bool{}}
}

// issue returns a new access token (made by mint from its number) and refresh token.
func (b *tokenBook) issue(mint func(n int) string) (access, refresh string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	access, refresh = mint(b.n), fmt.Sprintf("rt-%d", b.n)
	b.access[access], b.refresh[refresh] = true, true
	return access, refresh
}

// spend reports whether rt is a valid refresh token, and makes it invalid.
func (b *tokenBook) spend(rt string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	ok := b.refresh[rt]
	delete(b.refresh, rt)
	return ok
}

// known reports whether rt is a valid refresh token (one that may be reused).
func (b *tokenBook) known(rt string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refresh[rt]
}

func (b *tokenBook) valid(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	b.mu.Lock()
	defer b.mu.Unlock()
	return ok && b.access[tok]
}

// revoke makes every access token issued so far invalid (refresh tokens stay).
func (b *tokenBook) revoke() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.access)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// mindbazSite is the Mindbaz SSO and API of mindbaz-token.txt: POST
// /oauth2/token with a form, grant_type=password (username, password,
// client_id 100) or grant_type=refresh_token (a single-use refresh token:
// "the previous one having expired after use"), answering access_token,
// token_type "bearer", expires_in 1199 and refresh_token; the API takes
// "Authorization: Bearer" and answers an invalid token with 401. The document
// shows no API error body; its PHP example reads an "error" member from the
// SSO's, so the errors here are RFC 6749's {"error","error_description"}.
func mindbazSite(t *testing.T) *seedSite {
	book := newTokenBook()
	s := &seedSite{name: "Mindbaz", mux: http.NewServeMux(), base: siteBase + "/api/1234", resource: "/subscribers/1",
		authorized: book.valid, revoke: book.revoke, renewable: true, wantCode: "not_found", wantMessage: "no such thing"}
	s.writeError = func(w http.ResponseWriter, status int, code, message string) {
		writeJSON(w, status, map[string]string{"error": code, "error_description": message})
	}
	s.mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		s.tokenRequests.Add(1)
		f := form(r)
		ok := f.Get("client_id") == "100"
		switch f.Get("grant_type") {
		case "password":
			ok = ok && f.Get("username") == "api@example.com" && f.Get("password") == "pw"
		case "refresh_token":
			ok = ok && book.spend(f.Get("refresh_token"))
		default:
			ok = false
		}
		if !ok {
			s.writeError(w, http.StatusBadRequest, "invalid_grant", "refused")
			return
		}
		access, refresh := book.issue(func(n int) string { return fmt.Sprintf("mindbaz-at-%d", n) })
		writeJSON(w, 200, map[string]any{"access_token": access, "token_type": "bearer", "expires_in": 1199, "refresh_token": refresh})
	})
	s.configure = func(t *testing.T, cfg *client.Config) {
		g := auth.Mindbaz("api@example.com", "pw")
		g.TokenURL = siteBase + "/oauth2/token"
		cfg.TokenSource = auth.NewSource(g, auth.WithHTTPClient(cfg.HTTPClient))
	}
	return s
}

// mindtouchSite is a MindTouch site API (mindtouch-tokens.txt: a Server API
// Token is a key and a secret "used to sign API requests, allowing valid
// requests through and rejecting invalid or expired requests"): X-Deki-Token
// tkn_{key}_{epoch}_{user}_{hmac-sha256(secret, key_epoch_user)}, within five
// minutes. Its errors are MindTouch's XML <error> document (status, title,
// message), as the MindTouch API answers them. revoke deletes the token.
func mindtouchSite(t *testing.T) *seedSite {
	const key, secret, user = "k3y", "s3cret", "=jane@example.com"
	var mu sync.Mutex
	revoked := false
	s := &seedSite{name: "MindTouch", mux: http.NewServeMux(), base: siteBase + "/@api/deki", resource: "/pages/home",
		renewable: false, wantCode: "", wantMessage: "no such thing"}
	s.authorized = func(r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		rest, ok := strings.CutPrefix(r.Header.Get("X-Deki-Token"), "tkn_")
		last := strings.LastIndexByte(rest, '_')
		if !ok || last < 0 || revoked {
			return false
		}
		payload, hash := rest[:last], rest[last+1:]
		parts := strings.SplitN(payload, "_", 3)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(payload))
		epoch, err := strconv.ParseInt(parts[1], 10, 64)
		return len(parts) == 3 && parts[0] == key && parts[2] == user && hash == hex.EncodeToString(m.Sum(nil)) &&
			err == nil && time.Since(time.Unix(epoch, 0)).Abs() <= 5*time.Minute
	}
	s.revoke = func() { mu.Lock(); revoked = true; mu.Unlock() }
	s.writeError = func(w http.ResponseWriter, status int, _, message string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0"?><error><status>%d</status><title>%s</title><message>%s</message></error>`,
			status, http.StatusText(status), message)
	}
	s.configure = func(t *testing.T, cfg *client.Config) {
		cfg.Credential = mindtouch.ServerToken{Key: key, Secret: secret, User: user}
	}
	return s
}

// jsonLoginSite is the service of json-login-service.txt: POST /authenticate
// {"user_key","user_secret"} answers {"access_token","refresh_token"}, POST
// /refresh {"refresh_token"} answers {"access_token"}; access tokens "expire
// within 1 hour" (here JWTs whose exp says so). The document shows no error
// body; the errors here are {"error","message"}, the shape such services
// commonly use.
func jsonLoginSite(t *testing.T) *seedSite {
	book := newTokenBook()
	s := &seedSite{name: "JSON-login", mux: http.NewServeMux(), base: siteBase + "/api", resource: "/things/1",
		authorized: book.valid, revoke: book.revoke, renewable: true, wantCode: "not_found", wantMessage: "no such thing"}
	s.writeError = func(w http.ResponseWriter, status int, code, message string) {
		writeJSON(w, status, map[string]string{"error": code, "message": message})
	}
	mint := func(n int) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"HS256"}`)) + "." + enc(fmt.Appendf(nil, `{"exp":%d,"jti":"%d"}`, time.Now().Add(time.Hour).Unix(), n)) + ".sig"
	}
	s.mux.HandleFunc("POST /auth/authenticate", func(w http.ResponseWriter, r *http.Request) {
		s.tokenRequests.Add(1)
		var body struct {
			UserKey    string `json:"user_key"`
			UserSecret string `json:"user_secret"`
		}
		if !decodeJSON(r, &body) || body.UserKey != "uk" || body.UserSecret != "us" {
			s.writeError(w, http.StatusUnauthorized, "invalid_credentials", "refused")
			return
		}
		access, refresh := book.issue(mint)
		writeJSON(w, 200, map[string]string{"access_token": access, "refresh_token": refresh})
	})
	s.mux.HandleFunc("POST /auth/refresh", func(w http.ResponseWriter, r *http.Request) {
		s.tokenRequests.Add(1)
		var body struct {
			RefreshToken string `json:"refresh_token"`
		}
		if !decodeJSON(r, &body) || !book.known(body.RefreshToken) {
			s.writeError(w, http.StatusUnauthorized, "invalid_token", "refused")
			return
		}
		access, _ := book.issue(mint)
		writeJSON(w, 200, map[string]string{"access_token": access})
	})
	s.configure = func(t *testing.T, cfg *client.Config) {
		g := jsonlogin.Grant{BaseURL: siteBase + "/auth", UserKey: "uk", UserSecret: "us", HTTPClient: cfg.HTTPClient}
		cfg.TokenSource = auth.NewSource(g)
	}
	return s
}

// mapsIndoorsSite is the auth server of mapsindoors-client-credentials.txt:
// a login is the form grant_type=client_credentials&client_id=&client_secret=
// (answered "in the same way as with user and password": an OAuth token
// response), and /api/clientcredentials takes the bearer token and the
// customerId variable. The document shows no error body; MapsIndoors' auth
// server is ASP.NET, whose errors are RFC 9457 problem details, so they are
// here.
func mapsIndoorsSite(t *testing.T) *seedSite {
	book := newTokenBook()
	s := &seedSite{name: "MapsIndoors", mux: http.NewServeMux(), base: siteBase, resource: "/api/clientcredentials?customerId=cust",
		revoke: book.revoke, renewable: true, wantCode: "", wantMessage: "Not Found: no such thing"}
	s.authorized = func(r *http.Request) bool { return book.valid(r) && r.URL.Query().Get("customerId") == "cust" }
	s.writeError = func(w http.ResponseWriter, status int, _, message string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": message})
	}
	s.mux.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
		s.tokenRequests.Add(1)
		f := form(r)
		if f.Get("grant_type") != "client_credentials" || f.Get("client_id") != "cid" || f.Get("client_secret") != "sec" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client"})
			return
		}
		access, _ := book.issue(func(n int) string { return fmt.Sprintf("mi-at-%d", n) })
		writeJSON(w, 200, map[string]any{"access_token": access, "expires_in": 3600, "token_type": "Bearer"})
	})
	s.configure = func(t *testing.T, cfg *client.Config) {
		mi, err := mapsindoors.New(mapsindoors.Config{ClientID: "cid", CustomerID: "cust", TokenURL: siteBase + "/connect/token",
			BaseURL: siteBase, HTTPClient: cfg.HTTPClient,
			Store: mapsindoors.NewMemorySecretStore(mapsindoors.StoredSecret{ID: "s1", Secret: "sec"})})
		if err != nil {
			t.Fatal(err)
		}
		cfg.TokenSource = auth.NewSource(mi.Grant(), auth.WithHTTPClient(cfg.HTTPClient))
	}
	return s
}
