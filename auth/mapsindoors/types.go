package mapsindoors

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Secret describes one of the client's active secrets, as [Client.List]
// returns it. The API never returns the secret itself after its creation.
type Secret struct {
	ID          string
	Description string
	ClientID    string
	CreatedAt   time.Time
}

// NewSecret is a secret just created by [Client.Create] or [Client.Rotate]:
// the only moment its value is known, since MapsIndoors does not store it.
// Its String, GoString and LogValue show a masked form, never Secret.
type NewSecret struct {
	ID          string
	Description string
	CreatedAt   time.Time
	Secret      string
}

// Stored returns the secret with its id, as a [SecretStore] keeps it.
func (s NewSecret) Stored() StoredSecret { return StoredSecret{ID: s.ID, Secret: s.Secret} }

// Masked returns a form of the secret safe to show: its first four characters
// and its length, e.g. "Pv2A…(96 chars)"; "[REDACTED]" for a secret shorter
// than 16 characters, of which four would be too much.
func (s NewSecret) Masked() string { return mask(s.Secret) }

// view is the secret as every output shows it: its value masked.
func (s NewSecret) view() auth.View {
	return auth.View{Type: "mapsindoors.NewSecret", Attrs: []slog.Attr{slog.String("id", s.ID),
		slog.String("description", s.Description), slog.Time("created_at", s.CreatedAt), slog.String("secret", s.Masked())}}
}

// String describes the secret with its value masked.
func (s NewSecret) String() string { return s.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (s NewSecret) GoString() string { return s.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (s NewSecret) Format(f fmt.State, verb rune) { s.view().Format(f, verb) }

// LogValue logs the secret with its value masked.
func (s NewSecret) LogValue() slog.Value { return s.view().LogValue() }

// MarshalJSON encodes the secret with its value masked.
func (s NewSecret) MarshalJSON() ([]byte, error) { return s.view().MarshalJSON() }

// StoredSecret is a client secret with its id: what a [SecretStore] keeps, and
// what a rotation needs, since the id is required to delete the secret later.
// Its String, GoString and LogValue never show Secret.
type StoredSecret struct {
	ID     string // "" when unknown; [Client.Rotate] refuses to start then
	Secret string
}

// view is the stored secret as every output shows it: its value redacted.
func (s StoredSecret) view() auth.View {
	return auth.View{Type: "mapsindoors.StoredSecret", Attrs: []slog.Attr{slog.String("id", s.ID), slog.String("secret", auth.Redact(s.Secret))}}
}

// String describes the stored secret without its value.
func (s StoredSecret) String() string { return s.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (s StoredSecret) GoString() string { return s.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (s StoredSecret) Format(f fmt.State, verb rune) { s.view().Format(f, verb) }

// LogValue logs the id, the secret redacted.
func (s StoredSecret) LogValue() slog.Value { return s.view().LogValue() }

// MarshalJSON encodes the id, the secret redacted.
func (s StoredSecret) MarshalJSON() ([]byte, error) { return s.view().MarshalJSON() }

func mask(secret string) string {
	if utf8.RuneCountInString(secret) < 16 {
		return auth.Redact(secret)
	}
	head := secret
	for i := range secret {
		if utf8.RuneCountInString(secret[:i]) == 4 {
			head = secret[:i]
			break
		}
	}
	return fmt.Sprintf("%s…(%d chars)", head, utf8.RuneCountInString(secret))
}

// wireSecret is a secret as the API sends it, in a list or after a creation.
type wireSecret struct {
	ID          string   `json:"id"`
	Description string   `json:"description"`
	ClientID    string   `json:"client_id"`
	CreatedAt   flexTime `json:"createdAt"`
	Secret      string   `json:"secret"`
}

// flexTime accepts RFC 3339 times with any number of fractional digits, and
// times without a zone (taken as UTC), as the API's examples show both styles
// of fraction and .NET services often omit the zone.
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("mapsindoors: unrecognized time %q", strings.TrimSpace(s))
}
