package auth_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

func TestLocalRateGateKeepsTheLaterTime(t *testing.T) {
	const api, other = "https://api.example.com:443", "https://other.example.com:443"
	now := time.Now()
	var g auth.LocalRateGate
	assert.True(t, g.OpenAt(api).IsZero(), "the zero gate is open")

	steps := []struct {
		origin   string
		until    time.Time
		wantNews bool
		wantAPI  time.Time
	}{
		{api, now.Add(2 * time.Second), true, now.Add(2 * time.Second)},
		{api, now.Add(time.Second), false, now.Add(2 * time.Second)}, // shorter: ignored
		{api, now.Add(2 * time.Second), false, now.Add(2 * time.Second)},
		{other, now.Add(time.Second), true, now.Add(2 * time.Second)}, // another origin
		{api, now.Add(3 * time.Second), true, now.Add(3 * time.Second)},
	}
	for i, s := range steps {
		assert.Equal(t, s.wantNews, g.Extend(s.origin, s.until), "step %d", i)
		assert.Equal(t, s.wantAPI, g.OpenAt(api), "step %d", i)
	}
	assert.Equal(t, now.Add(time.Second), g.OpenAt(other))
	g.CloseUntil(t.Context(), other, now.Add(4*time.Second))
	assert.Equal(t, now.Add(4*time.Second), g.OpenAt(other))
}

// An origin whose window is over is forgotten at the next close, so the map
// does not grow with every origin ever limited.
func TestLocalRateGateForgetsWindowsThatAreOver(t *testing.T) {
	var g auth.LocalRateGate
	g.Extend("https://old.example.com:443", time.Now().Add(-time.Second))
	g.Extend("https://api.example.com:443", time.Now().Add(time.Second))
	assert.True(t, g.OpenAt("https://old.example.com:443").IsZero())
}

// The check the engine makes before every attempt when a gate is set.
func BenchmarkLocalRateGateOpenAt(b *testing.B) {
	var g auth.LocalRateGate
	g.Extend("https://api.example.com:443", time.Now().Add(-time.Second))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if g.OpenAt("https://api.example.com:443").After(time.Now()) {
				b.Fatal("closed")
			}
		}
	})
}
