package mapsindoors_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
)

// docServer is a MapsIndoors auth server written from the seed document alone
// (mapsindoors-client-credentials.txt), not from this package or its fake. It
// refuses with 400 anything the document does not show:
//
//   - a login is a form payload grant_type=client_credentials&client_id=&client_secret=;
//   - every /api/clientcredentials call carries "Authorization: Bearer <token>"
//     and its variables (customerId, then description or id) in the query string;
//   - a create (POST) also carries the body
//     grant_type=client_credentials&client_id=xxx&client_secret=yyy, form-encoded,
//     with the client's id and current secret.
type docServer struct {
	*httptest.Server
	clientID, customerID, secret string

	mu      sync.Mutex
	creates int
}

func newDocServer(t *testing.T, clientID, customerID, secret string) *docServer {
	t.Helper()
	d := &docServer{clientID: clientID, customerID: customerID, secret: secret}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
		if !d.credentialsForm(r) {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"doc-at","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("/api/clientcredentials", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer doc-at" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		if q.Get("customerId") != d.customerID {
			http.Error(w, "customerId missing from the query", http.StatusBadRequest)
			return
		}
		switch r.Method {
		case http.MethodGet:
			io.WriteString(w, `[{"id":"abcdbe9e8084022af463000","description":"MyNewKey","client_id":"`+d.clientID+`","createdAt":"2024-05-27T13:46:31.843Z"}]`)
		case http.MethodPost:
			if !d.credentialsForm(r) {
				http.Error(w, "the body must be grant_type=client_credentials&client_id=xxx&client_secret=yyy", http.StatusBadRequest)
				return
			}
			d.mu.Lock()
			d.creates++
			d.mu.Unlock()
			io.WriteString(w, `{"id":"new1","description":"`+q.Get("description")+`","createdAt":"2024-05-27T14:26:36.9981013Z","secret":"Pv2A7iGsui9ys8bMn0m5J4uuhswt2AdM"}`)
		case http.MethodDelete:
			if q.Get("id") == "" {
				http.Error(w, "id missing from the query", http.StatusBadRequest)
			}
		default:
			http.Error(w, "method", http.StatusMethodNotAllowed)
		}
	})
	d.Server = httptest.NewServer(mux)
	t.Cleanup(d.Close)
	return d
}

// credentialsForm reports whether r's body is exactly the documented payload.
func (d *docServer) credentialsForm(r *http.Request) bool {
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		return false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		return false
	}
	form, err := url.ParseQuery(string(raw))
	return err == nil && len(form) == 3 &&
		form.Get("grant_type") == "client_credentials" &&
		form.Get("client_id") == d.clientID &&
		form.Get("client_secret") == d.secret
}

func TestDocumentedWire(t *testing.T) {
	const clientID, customerID, secret = "script-7", "cust-42", "current-secret-value"
	d := newDocServer(t, clientID, customerID, secret)
	c, err := mapsindoors.New(mapsindoors.Config{ClientID: clientID, CustomerID: customerID,
		TokenURL: d.URL + "/connect/token", BaseURL: d.URL,
		Store: mapsindoors.NewMemorySecretStore(mapsindoors.StoredSecret{ID: "abcdbe9e8084022af463000", Secret: secret})})
	require.NoError(t, err)
	ctx := context.Background()

	list, err := c.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)

	created, err := c.Create(ctx, "MyNewKey")
	require.NoError(t, err)
	assert.Equal(t, "new1", created.ID)
	assert.Equal(t, "MyNewKey", created.Description)

	require.NoError(t, c.Delete(ctx, "abcdbe9e8084022af463000"))
	assert.Equal(t, 1, d.creates)
}
