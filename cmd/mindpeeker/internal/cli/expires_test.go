package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseExpiresIn(t *testing.T) {
	day := 24 * time.Hour
	valid := []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * day},
		{"1d", day},
		{"1d12h", day + 12*time.Hour},
		{"36h", 36 * time.Hour},
		{"30m", 30 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{" 7d ", 7 * day},
		{"0d1s", time.Second},
	}
	for _, tc := range valid {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseExpiresIn(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	invalid := []string{"", "d", "0d", "0s", "-1d", "+1d", "1.5d", "-5h", "1d-1h", "1w", "90", "abc", "1d2d",
		"99999999999999999999d", "40000d"}
	for _, in := range invalid {
		t.Run("invalid "+in, func(t *testing.T) {
			_, err := parseExpiresIn(in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "--expires-in")
		})
	}
}
