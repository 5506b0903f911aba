package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// impl is one way of making the same call: GET a session with a bearer token
// and decode it into sessions.Session.
type impl struct {
	name string
	get  func(ctx context.Context) error
	list func(ctx context.Context) (int, error) // one page of pageItems; nil: not measured
	// allocsOnly: counted, not timed (a fourth implementation in the
	// interleaving would change what the three are measured against).
	allocsOnly bool
}

// newImpls returns the SDK with its default configuration (client
// credentials against the server's token endpoint, no HTTPClient), raw
// net/http with the same pool size as the SDK's default (64 idle connections
// per host), and the naive composition of the same libraries.
func newImpls(base string) ([]impl, error) {
	sdk, err := client.New(client.Config{BaseURL: base + "/v1", TokenURL: base + "/token", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		return nil, err
	}
	// naive: oauth2.ReuseTokenSource + oauth2.Transport under go-retryablehttp,
	// as its README shows (its default pooled client keeps GOMAXPROCS+1 idle
	// connections per host).
	ts := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: benchToken, Expiry: time.Now().Add(time.Hour)}))
	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.HTTPClient.Transport = &oauth2.Transport{Source: ts, Base: rc.HTTPClient.Transport}

	url := base + "/v1/sessions/ses_123"
	return []impl{
		{name: "sdk", get: func(ctx context.Context) error {
			_, err := sdk.Sessions.Get(ctx, "ses_123")
			return err
		}, list: func(ctx context.Context) (int, error) {
			n := 0
			for _, err := range sdk.Sessions.List(ctx, &sessions.ListParams{Limit: pageItems}) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		}},
		rawImpl(base, "raw", rawClient()),
		{name: "naive", get: func(ctx context.Context) error {
			req, err := retryablehttp.NewRequestWithContext(ctx, "GET", url, nil)
			if err != nil {
				return err
			}
			resp, err := rc.Do(req)
			var s sessions.Session
			return decode(resp, err, &s)
		}},
		// sdk's HTTPClient, for the programs that build their own requests
		// (other libraries, streaming): raw's code, the credential the SDK's.
		{name: "sdk HTTPClient()", allocsOnly: true, get: func(ctx context.Context) error {
			return getSession(ctx, sdk.HTTPClient(), url, "")
		}},
	}, nil
}

// rawClient is a net/http client with a pool of its own, of the same size as
// the SDK's default (64 idle connections per host).
func rawClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

// rawImpl is raw net/http's call over raw.
func rawImpl(base, name string, raw *http.Client) impl {
	url := base + "/v1/sessions/ses_123"
	return impl{name: name, get: func(ctx context.Context) error {
		return getSession(ctx, raw, url, "Bearer "+benchToken)
	}, list: func(ctx context.Context) (int, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+fmt.Sprintf("/v1/sessions?limit=%d", pageItems), nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+benchToken)
		req.Header.Set("Accept", "application/json")
		var p struct {
			Data    []*sessions.Session `json:"data"`
			HasMore bool                `json:"has_more"`
		}
		resp, err := raw.Do(req)
		err = decode(resp, err, &p)
		return len(p.Data), err
	}}
}

// getSession is raw net/http's call: GET url with authorization (if not
// empty) and Accept set, the answer decoded.
func getSession(ctx context.Context, hc *http.Client, url, authorization string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	var s sessions.Session
	return decode(resp, err, &s)
}

// decode is what careful raw code does with an answer: check the status,
// decode, drain so the connection is reused, close.
func decode(resp *http.Response, err error, out any) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
