package client_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// secret is in every secret field below; no output may contain it.
const secret = "S3CRET-do-not-print"

// secretHolders is every configuration, grant and credential type of the
// module that holds a secret. Add a new one here.
var secretHolders = map[string]any{
	"client.Config": client.Config{ClientID: "id", ClientSecret: secret, APIKey: "mpk_" + secret,
		Credential: mindtouch.ServerToken{Key: "k", Secret: secret, User: "2"}},
	"client.Config with a Signer": client.Config{Credential: mindtouch.Signer{Token: mindtouch.ServerToken{Key: "k", Secret: secret, User: "2"}}},
	"client.Config with a grant":  client.Config{TokenSource: auth.NewSource(auth.Password{Password: secret, ClientSecret: secret})},
	"auth.ClientCredentials":      auth.ClientCredentials{TokenURL: "https://t", ClientID: "id", ClientSecret: secret},
	"auth.Password":               auth.Password{TokenURL: "https://t", ClientID: "id", ClientSecret: secret, Username: "u", Password: secret},
	"auth.Mindbaz":                auth.Mindbaz("u", secret),
	"auth.RefreshToken":           auth.RefreshToken{TokenURL: "https://t", ClientID: "id", ClientSecret: secret, RefreshToken: secret},
	"auth.AuthCodeFlow":           auth.NewAuthCodeFlow(&oauth2.Config{ClientID: "id", ClientSecret: secret}),
	"mindtouch.ServerToken":       mindtouch.ServerToken{Key: "k", Secret: secret, User: "=jane"},
	"mindtouch.Signer":            mindtouch.Signer{Token: mindtouch.ServerToken{Key: "k", Secret: secret, User: "2"}},
	"jsonlogin.Grant":             jsonlogin.Grant{BaseURL: "https://b", UserKey: "uk", UserSecret: secret},
	"mapsindoors.NewSecret":       mapsindoors.NewSecret{ID: "1", Secret: secret + secret},
	"mapsindoors.StoredSecret":    mapsindoors.StoredSecret{ID: "1", Secret: secret},
	"redisstore.Options":          redisstore.Options{Namespace: "n", Key: "k", EncryptionKeys: [][]byte{[]byte(secret)}},
}

// TestNoSecretInAnyOutput prints every secret holder every way a program
// might (fmt verbs, slog's JSON and text handlers, encoding/json), by value,
// by pointer and nested in a struct, and checks the secret appears nowhere.
func TestNoSecretInAnyOutput(t *testing.T) {
	for name, v := range secretHolders {
		t.Run(name, func(t *testing.T) {
			for _, form := range []any{v, &v, struct{ Inner any }{v}, []any{v}} {
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
					out := fmt.Sprintf(verb, form)
					assert.NotContains(t, out, secret, "%s", verb)
					assert.NotContains(t, out, fmt.Sprintf("%x", secret), "%s (hex)", verb)
				}
				var buf bytes.Buffer
				slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", form)
				slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", form)
				assert.NotContains(t, buf.String(), secret, "slog")
				b, err := json.Marshal(form)
				if err == nil {
					assert.NotContains(t, string(b), secret, "json.Marshal")
					assert.NotContains(t, string(b), "UzNDUkVU", "json.Marshal (base64)")
				}
			}
		})
	}
}
