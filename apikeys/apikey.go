package apikeys

import (
	"fmt"
	"log/slog"
	"time"
)

// APIKey is an API key. Key, the secret value, is set only in the answers of
// Create and Rotate. String, Format and LogValue never show Key in full.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Key        string     `json:"key,omitempty"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// MaskedKey returns Key reduced to its public prefix ("mpk_ab12…"), or "" when
// the key value is not known.
func (k *APIKey) MaskedKey() string {
	switch {
	case k.Key == "":
		return ""
	case k.Prefix != "" && len(k.Prefix) < len(k.Key):
		return k.Prefix + "…"
	case len(k.Key) > 8:
		return k.Key[:8] + "…"
	default:
		return "…"
	}
}

// String describes the key with its value masked.
func (k APIKey) String() string {
	return fmt.Sprintf("apikeys.APIKey{ID: %q, Name: %q, Prefix: %q, Key: %q, Scopes: %q, CreatedAt: %s, ExpiresAt: %s, LastUsedAt: %s, RevokedAt: %s}",
		k.ID, k.Name, k.Prefix, k.MaskedKey(), k.Scopes, k.CreatedAt.Format(time.RFC3339),
		optTime(k.ExpiresAt), optTime(k.LastUsedAt), optTime(k.RevokedAt))
}

// Format prints String for every verb (%v, %+v, %#v, %s, %q), so the key value
// cannot reach fmt output.
func (k APIKey) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", k.String())
		return
	}
	fmt.Fprint(f, k.String())
}

// LogValue logs the key with its value masked.
func (k APIKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("name", k.Name),
		slog.String("prefix", k.Prefix), slog.Any("scopes", k.Scopes))
}

func optTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339)
}
