package jsonlogin

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

const (
	grantName   = "jsonlogin"
	maxBodySize = 1 << 20 // answers larger than this are refused
	excerptSize = 160     // bytes of an error answer kept in the error
)

// endpoint returns base joined with path, after checking that base may carry
// credentials (https, or http to a loopback host).
func endpoint(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", &auth.TokenError{Grant: grantName, Err: fmt.Errorf("jsonlogin: invalid base URL %s", auth.RedactURL(base))}
	}
	if err := auth.CheckSecureURL(u); err != nil {
		return "", &auth.TokenError{Grant: grantName, Err: err}
	}
	return u.JoinPath(path).String(), nil
}

// httpClient returns own, else the client in ctx under [oauth2.HTTPClient] (as
// x/oauth2 does), else http.DefaultClient; as a copy that follows no redirect to
// another origin ([auth.TokenHTTPClient]), since the request body carries a secret.
func httpClient(ctx context.Context, own *http.Client) *http.Client {
	c := own
	if c == nil {
		c, _ = ctx.Value(oauth2.HTTPClient).(*http.Client)
	}
	return auth.TokenHTTPClient(c)
}

// post sends body as JSON to u and decodes a 2xx answer into out. Any failure
// is a *auth.TokenError whose text contains none of secrets.
func post(ctx context.Context, hc *http.Client, u string, body, out any, secrets ...string) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return &auth.TokenError{Grant: grantName, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return &auth.TokenError{Grant: grantName, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return &auth.TokenError{Grant: grantName, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	switch {
	case err != nil:
		return answerError(resp.StatusCode, fmt.Errorf("jsonlogin: reading the answer of %s: %w", req.URL.Path, err))
	case len(raw) > maxBodySize:
		return answerError(resp.StatusCode, fmt.Errorf("jsonlogin: the answer of %s is larger than %d bytes", req.URL.Path, maxBodySize))
	case !success(resp.StatusCode):
		return statusError(req.URL.Path, resp.StatusCode, raw, secrets)
	}
	// A successful answer holds tokens: it never goes into an error message.
	if err := json.Unmarshal(raw, out); err != nil {
		return answerError(resp.StatusCode, fmt.Errorf("jsonlogin: the answer of %s (HTTP %d) is not the expected JSON object", req.URL.Path, resp.StatusCode))
	}
	return nil
}

func success(status int) bool { return status >= 200 && status <= 299 }

// answerError reports an answer that could not be used. StatusCode is set only
// for a failure status: on a 2xx the detail in err is the useful part, and
// [auth.TokenError.Error] would show only the status.
func answerError(status int, err error) *auth.TokenError {
	te := &auth.TokenError{Grant: grantName, Err: err}
	if !success(status) {
		te.StatusCode = status
	}
	return te
}

// statusError describes a non-2xx answer: the JSON "error" member as Code, an
// "error_description" or "message" as Description, and a short excerpt of the
// body in Err, with every secret blanked out.
func statusError(path string, status int, body []byte, secrets []string) *auth.TokenError {
	te := &auth.TokenError{Grant: grantName, StatusCode: status}
	var e struct {
		Error       any    `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		if code, ok := e.Error.(string); ok {
			te.Code = clean(code, 64, secrets)
		}
		te.Description = clean(cmp.Or(e.Description, e.Message), excerptSize, secrets)
	}
	te.Err = fmt.Errorf("jsonlogin: %s answered HTTP %d: %q", path, status, clean(string(body), excerptSize, secrets))
	return te
}

// clean blanks out secrets, then makes s fit for an error (auth.Excerpt).
func clean(s string, max int, secrets []string) string {
	return auth.Excerpt(auth.Scrub(s, secrets...), max)
}

// refused reports whether err is the server refusing the request's credentials
// (400, 401 or 403), as opposed to a network or server failure.
func refused(err error) bool {
	var te *auth.TokenError
	if !errors.As(err, &te) {
		return false
	}
	switch te.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}
