package mindpeekertest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// randomHex returns n random bytes as lowercase hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// randomToken returns n random bytes as unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newIDLocked returns prefix + 8 hex digits of a server-wide sequence + 8
// random hex digits. The sequence part makes ids sort in creation order, so
// listings stay deterministic when the clock does not move between
// creations (ordering is by created_at, then id). s.mu must be held.
func (s *Server) newIDLocked(prefix string) string {
	s.st.seq++
	return fmt.Sprintf("%s%08x%s", prefix, s.st.seq, randomHex(4))
}

// hashKey is how API keys are stored: the hex SHA-256 of the full key.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
