package mapsindoors

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
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

// String describes the secret with its value masked.
func (s NewSecret) String() string {
	return fmt.Sprintf("mapsindoors.NewSecret{ID: %q, Description: %q, CreatedAt: %s, Secret: %s}",
		s.ID, s.Description, s.CreatedAt.Format(time.RFC3339), s.Masked())
}

// GoString is String, so that %#v does not print the secret either.
func (s NewSecret) GoString() string { return s.String() }

// LogValue logs the id and description, never the secret.
func (s NewSecret) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", s.ID), slog.String("description", s.Description))
}

// StoredSecret is a client secret with its id: what a [SecretStore] keeps, and
// what a rotation needs, since the id is required to delete the secret later.
// Its String, GoString and LogValue never show Secret.
type StoredSecret struct {
	ID     string // "" when unknown; [Client.Rotate] refuses to start then
	Secret string
}

// String describes the stored secret without its value.
func (s StoredSecret) String() string {
	val := `""`
	if s.Secret != "" {
		val = "[REDACTED]"
	}
	return fmt.Sprintf("mapsindoors.StoredSecret{ID: %q, Secret: %s}", s.ID, val)
}

// GoString is String, so that %#v does not print the secret either.
func (s StoredSecret) GoString() string { return s.String() }

// LogValue logs the id only.
func (s StoredSecret) LogValue() slog.Value { return slog.GroupValue(slog.String("id", s.ID)) }

func mask(secret string) string {
	if utf8.RuneCountInString(secret) < 16 {
		return "[REDACTED]"
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
