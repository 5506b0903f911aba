package auth

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// LoopbackOptions configures [LoginLoopback]. The zero value is ready to use.
type LoopbackOptions struct {
	// OpenBrowser sends the user's browser to url, for example with
	// "xdg-open" or "open". When nil, or when it fails, the URL is printed
	// to Prompt for the user to open.
	OpenBrowser func(url string) error
	// Prompt receives the instructions for the user. Default os.Stderr.
	Prompt io.Writer
	// Timeout bounds the whole login, from the browser opening to the token.
	// Default 5 minutes.
	Timeout time.Duration
	// Listen is the loopback address the callback server listens on. Default
	// "127.0.0.1:0" (a free port). Set a fixed port when the authorization
	// server only accepts registered redirect URLs with one. Hosts other than
	// loopback addresses are refused.
	Listen string
	// CallbackPath is the path of the redirect URL. Default "/callback".
	CallbackPath string
}

// LoginLoopback logs a user in from a command-line program with the
// authorization code flow and a loopback redirect (RFC 8252 §7.3): it listens
// on a free port of 127.0.0.1, sets the redirect URL of a copy of cfg to
// http://127.0.0.1:PORT/callback, opens the browser at the authorization page
// and waits for the browser to come back. The first request to the callback
// path decides: a valid one is exchanged for the token and answered with a
// success page; one with a wrong state, an error or no code is answered with a
// failure page and fails the login, since it is either forged or the user
// refused. Requests to other paths (a favicon) are answered 404, and a
// browser's prefetch of the callback 503, and ignored.
//
// It returns the token once the exchange is done and the server shut down, or
// an error when ctx ends or opts.Timeout passes first. The errors are those of
// [AuthCodeFlow.Exchange]. The HTTP client for the token endpoint comes from
// ctx ([oauth2.HTTPClient]). Save the token in a [Store] to avoid logging in again.
func LoginLoopback(ctx context.Context, cfg *oauth2.Config, opts LoopbackOptions) (*oauth2.Token, error) {
	opts.setDefaults()
	if host, _, err := net.SplitHostPort(opts.Listen); err != nil || !IsLoopback(host) {
		return nil, fmt.Errorf("auth: loopback login: listen address %q is not a loopback address", opts.Listen)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("auth: loopback login: %w", err)
	}
	c := *cfg
	c.RedirectURL = "http://" + ln.Addr().String() + opts.CallbackPath
	flow := NewAuthCodeFlow(&c)
	authURL, pending, err := flow.Start()
	if err != nil {
		ln.Close()
		return nil, err
	}

	type result struct {
		tok *oauth2.Token
		err error
	}
	results := make(chan result, 1)
	cb := &callbackHandler{path: opts.CallbackPath, finish: func(r *http.Request) error {
		tok, err := flow.Exchange(ctx, pending, r.URL.Query())
		results <- result{tok, err}
		return err
	}}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		shutCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer stop()
		if srv.Shutdown(shutCtx) != nil {
			srv.Close()
		}
	}()

	opened := false
	if opts.OpenBrowser != nil {
		opened = opts.OpenBrowser(authURL) == nil
	}
	if !opened {
		fmt.Fprintf(opts.Prompt, "Open this page in your browser to log in:\n\n    %s\n\n", authURL)
	}

	select {
	case r := <-results:
		return r.tok, r.err
	case err := <-served:
		return nil, fmt.Errorf("auth: loopback login: callback server: %w", err)
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: loopback login: waiting for the browser: %w", ctx.Err())
	}
}

func (o *LoopbackOptions) setDefaults() {
	if o.Prompt == nil {
		o.Prompt = os.Stderr
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.CallbackPath == "" {
		o.CallbackPath = "/callback"
	}
}

// callbackHandler serves the loopback redirect: the first GET of path is the
// callback, handed to finish; everything else is answered and ignored.
type callbackHandler struct {
	path   string
	done   atomic.Bool
	finish func(*http.Request) error
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != h.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if isPrefetch(r) {
		// Not the user's navigation: consuming it would fail (or finish) the
		// login behind the user's back, and its page would never be shown.
		// Browsers drop a prefetch that is not answered 2xx.
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "prefetch not served", http.StatusServiceUnavailable)
		return
	}
	if !h.done.CompareAndSwap(false, true) {
		writePage(w, http.StatusConflict, "Login already handled",
			"This login has already been completed. You can close this window.")
		return
	}
	err := h.finish(r)
	var ae *AuthorizationError
	switch {
	case err == nil:
		writePage(w, http.StatusOK, "Logged in",
			"You are logged in. You can close this window and return to the program.")
	case errors.As(err, &ae):
		writePage(w, http.StatusForbidden, "Login refused",
			"The authorization server refused the login ("+ae.Code+"). Return to the program for details.")
	case errors.Is(err, ErrStateMismatch):
		writePage(w, http.StatusBadRequest, "Login failed",
			"This response does not belong to the login the program started, so it was rejected. Start the login again.")
	default:
		writePage(w, http.StatusBadGateway, "Login failed",
			"The login could not be completed. Return to the program for details.")
	}
}

// isPrefetch reports whether r is a browser's prefetch or prerender rather
// than a navigation: Chromium sends Sec-Purpose (Fetch metadata), older
// browsers Purpose or X-Moz.
func isPrefetch(r *http.Request) bool {
	for _, name := range []string{"Sec-Purpose", "Purpose", "X-Moz"} {
		if strings.HasPrefix(strings.ToLower(r.Header.Get(name)), "prefetch") {
			return true
		}
	}
	return false
}

// writePage answers the browser with a minimal page that holds no secret and
// loads nothing, so the callback URL (with its code) leaks nowhere.
func writePage(w http.ResponseWriter, status int, title, message string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n<body><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(message))
}
