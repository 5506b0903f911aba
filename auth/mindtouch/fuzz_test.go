package mindtouch_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
)

// FuzzSign checks the round trip: whatever valid token signs, ParseToken gives
// back its key, epoch and user as given,
// and Verify accepts it with the right secret only.
func FuzzSign(f *testing.F) {
	f.Add("key", "secret", "=jane@example.com", int64(1700000000))
	f.Add("6f1a2b", "s", "2", int64(0))
	f.Add("k", "s", "=jane_doe_", int64(-1))
	f.Add("k", "s", "=zoë 50%+_", int64(1<<40))
	f.Fuzz(func(t *testing.T, key, secret, user string, epoch int64) {
		tok := mindtouch.ServerToken{Key: key, Secret: secret, User: user}
		if tok.Validate() != nil || len(key)+len(user) > 3000 {
			t.Skip()
		}
		s := tok.Sign(time.Unix(epoch, 0))
		gotKey, gotEpoch, gotUser, hash, err := mindtouch.ParseToken(s)
		if err != nil {
			t.Fatalf("ParseToken(Sign(...)) = %v", err)
		}
		if gotKey != key || gotEpoch != epoch || gotUser != user {
			t.Fatalf("round trip: got %q %d %q", gotKey, gotEpoch, gotUser)
		}
		if s != "tkn_"+key+"_"+strconv.FormatInt(epoch, 10)+"_"+gotUser+"_"+hash {
			t.Fatalf("reassembled token differs")
		}
		if err := mindtouch.Verify(s, secret, time.Unix(epoch, 0), time.Second); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if mindtouch.Verify(s, secret+"x", time.Unix(epoch, 0), time.Second) == nil {
			t.Fatal("Verify accepted a wrong secret")
		}
	})
}

// FuzzParseToken checks that ParseToken never panics and that what it accepts
// reassembles to its input.
func FuzzParseToken(f *testing.F) {
	f.Add("tkn_k_1700000000_2_" + strings.Repeat("0", 64))
	f.Add("tkn_k_1_=a_b_" + strings.Repeat("f", 64))
	f.Add("tkn____")
	f.Fuzz(func(t *testing.T, s string) {
		key, epoch, user, hash, err := mindtouch.ParseToken(s)
		if err != nil {
			return
		}
		if s != "tkn_"+key+"_"+strconv.FormatInt(epoch, 10)+"_"+user+"_"+hash {
			t.Fatalf("ParseToken(%q) does not reassemble", s)
		}
		_ = mindtouch.Verify(s, "secret", time.Unix(epoch, 0), time.Minute)
	})
}
