package auth

import (
	"errors"
	"fmt"

	"golang.org/x/oauth2"
)

// TokenError is returned when a grant could not obtain a token. It names the grant
// and keeps the RFC 6749 §5.2 error code and description; the underlying
// *oauth2.RetrieveError (or network error) is available with errors.As. Its
// message never contains a secret or the raw response body.
type TokenError struct {
	Grant       string // "client_credentials", "password", "refresh_token", ...
	Code        string // RFC 6749 error code, e.g. "invalid_grant"; "" when there was none
	Description string // the server's error_description
	StatusCode  int    // HTTP status of the token endpoint's answer; 0 when none arrived
	Err         error
}

func (e *TokenError) Error() string {
	msg := "auth: " + e.Grant + " grant failed"
	code, desc := Excerpt(e.Code, 64), Excerpt(e.Description, MaxServerText) // the server's words
	switch {
	case code != "" && desc != "":
		return fmt.Sprintf("%s: %s: %s", msg, code, desc)
	case code != "":
		return msg + ": " + code
	case e.StatusCode != 0:
		msg = fmt.Sprintf("%s: token endpoint answered HTTP %d", msg, e.StatusCode)
		var re *oauth2.RetrieveError
		if errors.As(e.Err, &re) { // its text carries the raw body: keep that behind errors.As
			return msg
		}
		return msg + ": " + e.Err.Error()
	default:
		return msg + ": " + e.Err.Error()
	}
}

// Unwrap returns the underlying error (often an *oauth2.RetrieveError).
func (e *TokenError) Unwrap() error { return e.Err }

// IsInvalidGrant reports whether err is a token endpoint's invalid_grant answer:
// a refresh token or authorization code that is expired, spent or revoked, or
// wrong user credentials. Renewing with the same input will not help.
func IsInvalidGrant(err error) bool {
	var te *TokenError
	if errors.As(err, &te) {
		return te.Code == "invalid_grant"
	}
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// refreshRefused reports whether err is the token endpoint refusing a refresh
// token: any answer 400 or 401, whatever its error code (invalid_grant,
// invalid_token, invalid_request, none) or body (JSON or not), except
// invalid_client. Servers differ in how they say a refresh token is expired or
// spent (Mindbaz answers 401); either way, presenting it again will not help.
// invalid_client says the client itself failed to authenticate: a new login
// with the same client would fail too. A 5xx or a network failure is not a
// refusal: the refresh token may still be good.
func refreshRefused(err error) bool {
	if IsInvalidGrant(err) {
		return true
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil || re.ErrorCode == "invalid_client" {
		return false
	}
	return re.Response.StatusCode == 400 || re.Response.StatusCode == 401
}

// wrapTokenError turns what x/oauth2 returned into a *TokenError (nil stays nil).
func wrapTokenError(grant string, err error) error {
	if err == nil {
		return nil
	}
	var te *TokenError
	if errors.As(err, &te) {
		return err
	}
	out := &TokenError{Grant: grant, Err: err}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		out.Code, out.Description = re.ErrorCode, re.ErrorDescription
		if re.Response != nil {
			out.StatusCode = re.Response.StatusCode
		}
	}
	return out
}

// ErrLoginRequired is returned (wrapped, beside the *[TokenError]) by a grant
// that has only a refresh token ([RefreshToken]) when the server refuses it:
// expired, spent or revoked. Renewing again will not help; the user must log in
// anew (for the mindpeeker command, "mindpeeker auth login").
var ErrLoginRequired = errors.New("auth: the refresh token was refused; a new login is needed")
