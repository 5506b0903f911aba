package mindpeekertest

import "time"

// seed adds the demo data of WithSeedData: three sessions in different
// states and one API key. The key's plaintext is not kept anywhere, like
// every key of this server; create your own with CreateAPIKey to use one.
func (s *Server) seed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.createSessionLocked("Target 4471-9823: coordinates only", "tgt_4471-9823", "Blind session; describe the site.", "completed")
	s.createSessionLocked("Lost keys, kitchen or garage?", "tgt_lost-keys", "", "active")
	s.createSessionLocked("Tomorrow's weather in Reykjavik", "", "Outcome known in 24h.", "pending")
	exp := s.now().UTC().Add(90 * 24 * time.Hour)
	s.createAPIKeyLocked("Demo read-only key", []string{"remote-viewing:read"}, &exp)
}
