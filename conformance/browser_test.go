package conformance_test

// auth.LoginLoopback driven by a real headless Chromium (chromedp) through the
// consent page of a real OAuth server to the loopback callback: the browser,
// not Go, follows the redirects, submits the form, and makes its own extra
// requests to the callback server. The test is skipped, saying so, where
// Chromium is not installed; CI sets MINDPEEKER_REQUIRE_BROWSER=1, which turns
// the skip into a failure.

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
)

// envRequireBrowser makes a missing Chromium a failure instead of a skip.
const envRequireBrowser = "MINDPEEKER_REQUIRE_BROWSER"

// startBrowser starts one headless Chromium for the test, with a fresh
// profile, and returns its context (new tabs are made from it).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		msg := "Chromium is not installed (apt-get install chromium): the real-browser login test does not run"
		if os.Getenv(envRequireBrowser) != "" {
			t.Fatalf("%s, and %s is set", msg, envRequireBrowser)
		}
		t.Skip(msg)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless, // also hides scrollbars and mutes audio
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first action starts the browser, which lives as long as its context.
	require.NoError(t, chromedp.Do(browserCtx), "starting %s", path)
	return browserCtx
}

// browserRequest is one request the browser made, and how it ended.
type browserRequest struct {
	url    *url.URL
	status int64  // the answer's status; 0 when none came
	failed string // the browser's error text, when it failed
}

// tab is one browser tab and the requests it made, in order.
type tab struct {
	ctx  context.Context
	mu   sync.Mutex
	byID map[network.RequestID]*browserRequest
	all  []*browserRequest
}

func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancelTimeout)
	tb := &tab{ctx: ctx, byID: map[network.RequestID]*browserRequest{}}
	err := chromedp.Listen(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			// A redirect is a new request with the same id.
			if prev := tb.byID[e.RequestID]; prev != nil && e.RedirectResponse != nil {
				prev.status = e.RedirectResponse.Status
			}
			if u, err := url.Parse(e.Request.URL); err == nil {
				r := &browserRequest{url: u}
				tb.byID[e.RequestID] = r
				tb.all = append(tb.all, r)
			}
		case *network.EventResponseReceived:
			if r := tb.byID[e.RequestID]; r != nil {
				r.status = e.Response.Status
			}
		case *network.EventLoadingFailed:
			if r := tb.byID[e.RequestID]; r != nil {
				r.failed = e.ErrorText
			}
		}
	})
	require.NoError(t, err)
	return tb
}

// outcomes returns how the tab's requests to host ended, by path: the status,
// or the browser's error text.
func (tb *tab) outcomes(host string) map[string][]string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	byPath := map[string][]string{}
	for _, r := range tb.all {
		if r.url.Host != host {
			continue
		}
		switch {
		case r.status != 0:
			byPath[r.url.Path] = append(byPath[r.url.Path], strconv.FormatInt(r.status, 10))
		case r.failed != "":
			byPath[r.url.Path] = append(byPath[r.url.Path], r.failed)
		default:
			byPath[r.url.Path] = append(byPath[r.url.Path], "pending")
		}
	}
	return byPath
}

// page is what the tab shows.
type page struct{ title, heading string }

// login runs auth.LoginLoopback against srv, hands its authorization URL to
// drive (the user at the browser), and returns the login's outcome.
func login(t *testing.T, srv *oauthtest.Server, drive func(authURL string)) (*oauth2.Token, error) {
	t.Helper()
	cfg := &oauth2.Config{ClientID: oauthtest.PublicClientID, Scopes: []string{"read"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL}}
	authURLs := make(chan string, 1)
	type outcome struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		tok, err := auth.LoginLoopback(grantCtx(t, srv), cfg, auth.LoopbackOptions{
			OpenBrowser: func(u string) error { authURLs <- u; return nil },
			Prompt:      io.Discard,
			Timeout:     20 * time.Second,
		})
		done <- outcome{tok, err}
	}()
	select {
	case u := <-authURLs:
		drive(u)
	case o := <-done:
		require.NoError(t, o.err, "the login ended before opening the browser")
	}
	o := <-done
	return o.tok, o.err
}

// consent shows the consent page of authURL, lets the page make the requests
// a browser makes on its own (a prefetch of the callback, the callback
// server's favicon), waits for them, then presses button and returns the page
// the browser lands on.
func consent(t *testing.T, tb *tab, authURL, button string) page {
	t.Helper()
	redirect := mustRedirect(t, authURL)
	origin := "http://" + redirect.Host
	require.NoError(t, chromedp.Do(tb.ctx,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.ID(button)),
		// What a browser may do before the user decides: prefetch a link to
		// the callback (Sec-Purpose: prefetch), fetch a favicon.
		chromedp.Evaluate[chromedp.Void](`(() => {
			const link = document.createElement("link");
			link.rel = "prefetch";
			link.href = `+jsString(redirect.String()+"?prefetched=1")+`;
			document.head.append(link);
			const icon = document.createElement("link");
			icon.rel = "icon";
			icon.href = `+jsString(origin+"/favicon.ico")+`;
			document.head.append(icon);
		})()`),
	))
	waitForRequests(t, tb, redirect.Host, redirect.Path, "/favicon.ico")
	require.NoError(t, chromedp.Do(tb.ctx,
		chromedp.Click(chromedp.ID(button)),
		chromedp.WaitNotPresent(chromedp.ID(button)),
		chromedp.WaitReady(chromedp.CSS("h1")),
	))
	var p page
	var err error
	p.title, err = chromedp.Run(tb.ctx, chromedp.Title())
	require.NoError(t, err)
	p.heading, err = chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS("h1")))
	require.NoError(t, err)
	return p
}

// waitForRequests waits until the tab's requests to host for each path have
// ended, with an answer or an error.
func waitForRequests(t *testing.T, tb *tab, host string, paths ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		got := tb.outcomes(host)
		for _, p := range paths {
			if len(got[p]) == 0 || slices.Contains(got[p], "pending") {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "the browser's own requests to the callback server: %v", paths)
}

func mustQuery(t *testing.T, rawURL string) url.Values {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	return u.Query()
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func TestRealBrowser_LoginLoopback(t *testing.T) {
	browser := startBrowser(t)
	for _, rs := range realServers {
		t.Run(rs.name, func(t *testing.T) {
			srv := rs.start(t, oauthtest.Options{ConsentPage: true})
			codeExchanges := func() int { return srv.Stats().ByGrant["authorization_code"] }

			t.Run("allow", func(t *testing.T) {
				tb := newTab(t, browser)
				var p page
				var callbackHost string
				tok, err := login(t, srv, func(authURL string) {
					callbackHost = mustRedirect(t, authURL).Host
					p = consent(t, tb, authURL, "allow")
				})
				require.NoError(t, err)
				assert.Equal(t, oauthtest.Username, requireActive(t, srv, tok).Subject)
				assert.Equal(t, page{"Logged in", "Logged in"}, p)
				got := tb.outcomes(callbackHost)
				assert.Equal(t, []string{"503", "200"}, got["/callback"], "the prefetch is refused, the navigation served")
				// A favicon is not a callback: answered 404 as text, which
				// Chromium's opaque response blocking then hides.
				require.Len(t, got["/favicon.ico"], 1)
				assert.Contains(t, []string{"404", "net::ERR_BLOCKED_BY_ORB"}, got["/favicon.ico"][0])
				assert.Equal(t, 1, codeExchanges())
			})
			t.Run("deny", func(t *testing.T) {
				before := codeExchanges()
				tb := newTab(t, browser)
				var p page
				_, err := login(t, srv, func(authURL string) { p = consent(t, tb, authURL, "deny") })
				var ae *auth.AuthorizationError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "access_denied", ae.Code)
				assert.Equal(t, page{"Login refused", "Login refused"}, p)
				assert.Equal(t, before, codeExchanges(), "no token request")
			})
			t.Run("forged state", func(t *testing.T) {
				// The browser arrives with a real code but a state the
				// program did not issue (a login started elsewhere).
				before := codeExchanges()
				tb := newTab(t, browser)
				var p page
				_, err := login(t, srv, func(authURL string) {
					u, err := url.Parse(authURL)
					require.NoError(t, err)
					q := u.Query()
					q.Set("state", "forged-"+q.Get("state"))
					u.RawQuery = q.Encode()
					p = consent(t, tb, u.String(), "allow")
				})
				require.ErrorIs(t, err, auth.ErrStateMismatch)
				assert.False(t, errors.Is(err, context.DeadlineExceeded))
				assert.Equal(t, page{"Login failed", "Login failed"}, p)
				assert.Equal(t, before, codeExchanges(), "the code is never exchanged")
			})
		})
	}
}

func mustRedirect(t *testing.T, authURL string) *url.URL {
	t.Helper()
	u, err := url.Parse(mustQuery(t, authURL).Get("redirect_uri"))
	require.NoError(t, err)
	return u
}
