package jsonlogin

import (
	"context"
	"errors"
	"fmt"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Register creates a user at baseURL with POST {baseURL}/register
// {"user_id","user_secret"} and returns the user_key that, with userSecret,
// logs in through [Grant]. Keep both somewhere safe: the service does not show
// them again.
//
// The HTTP client is the one in ctx under oauth2.HTTPClient, else the SDK's
// shared, stall-bounded client. Errors wrap an *[auth.TokenError] (Grant "jsonlogin",
// StatusCode set when the service answered with a failure status) and never contain userSecret.
func Register(ctx context.Context, baseURL, userID, userSecret string) (userKey string, err error) {
	var r struct {
		UserKey string `json:"user_key"`
	}
	body := map[string]string{"user_id": userID, "user_secret": userSecret}
	if err := post(ctx, httpClient(ctx, nil), baseURL, "/register", body, &r, userSecret); err != nil {
		return "", fmt.Errorf("jsonlogin: register: %w", err)
	}
	if r.UserKey == "" {
		return "", fmt.Errorf("jsonlogin: register: %w", &auth.TokenError{Grant: grantName,
			Err: errors.New("jsonlogin: the answer of /register has no user_key")})
	}
	return r.UserKey, nil
}
