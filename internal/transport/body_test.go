package transport_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

func TestDoBodies(t *testing.T) {
	tests := []struct {
		name            string
		body            any
		wantContentType string
		wantBody        string
	}{
		{"form", url.Values{"grant_type": {"client_credentials"}, "client_id": {"a b"}}, "application/x-www-form-urlencoded",
			"client_id=a+b&grant_type=client_credentials"},
		{"JSON", map[string]string{"a": "b"}, "application/json", `{"a":"b"}`},
		{"raw", []byte(`{"x":1}`), "application/json", `{"x":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotType, gotBody string
			srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				gotType, gotBody = r.Header.Get("Content-Type"), string(b)
			})
			e := newEngine(t, srv.URL, nil)
			require.NoError(t, e.Do(context.Background(), "POST", "/x", tt.body, nil))
			assert.Equal(t, tt.wantContentType, gotType)
			assert.Equal(t, tt.wantBody, gotBody)
		})
	}
}

// An error answer quoting what the request carried (its bearer token, a
// secret named with WithSecrets) does not put it in the error.
func TestDoErrorKeepsSecretsOut(t *testing.T) {
	srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		http.Error(w, "refused "+r.Header.Get("Authorization")+" with "+string(b), http.StatusBadRequest)
	})
	e := newEngine(t, srv.URL, bearerSource(&tokenGrant{}))
	ctx := transport.WithSecrets(context.Background(), "hunter2")
	err := e.Do(ctx, "POST", "/x", url.Values{"password": {"hunter2"}}, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.NotContains(t, err.Error(), "Bearer t1")
	assert.Contains(t, err.Error(), "[REDACTED]")
}
