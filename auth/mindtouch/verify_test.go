package mindtouch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
)

func TestParseToken(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct {
		in          string
		key, user   string
		epoch       int64
		wantErrPart string
	}{
		{in: "tkn_k_1700000000_2_" + hash, key: "k", epoch: 1700000000, user: "2"},
		{in: "tkn_k_1700000000_=jane_doe_" + hash, key: "k", epoch: 1700000000, user: "=jane_doe"},
		{in: "tkn_k_-5_=a+b_" + hash, key: "k", epoch: -5, user: "=a+b"},
		{in: "", wantErrPart: "prefix"},
		{in: "TKN_k_1_2_" + hash, wantErrPart: "prefix"},
		{in: "tkn__1_2_" + hash, wantErrPart: "key"},
		{in: "tkn_k", wantErrPart: "key"},
		{in: "tkn_k_1700000000", wantErrPart: "epoch"},
		{in: "tkn_k_+1_2_" + hash, wantErrPart: "epoch"},
		{in: "tkn_k_01_2_" + hash, wantErrPart: "epoch"},
		{in: "tkn_k_x_2_" + hash, wantErrPart: "epoch"},
		{in: "tkn_k_99999999999999999999_2_" + hash, wantErrPart: "epoch"},
		{in: "tkn_k_1_2" + hash, wantErrPart: "hash"},
		{in: "tkn_k_1__" + hash, wantErrPart: "user"},
		{in: "tkn_k_1_admin_" + hash, wantErrPart: "user"},
		{in: "tkn_k_1_=a b_" + hash, key: "k", epoch: 1, user: "=a b"},
		{in: "tkn_k_1_=a\r\nb_" + hash, wantErrPart: "user"},
		{in: "tkn_k_1_2_" + strings.ToUpper(hash), wantErrPart: "hash"},
		{in: "tkn_k_1_2_" + hash[:63], wantErrPart: "hash"},
		{in: "tkn_k_1_=" + strings.Repeat("a", 5000) + "_" + hash, wantErrPart: "too long"},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			key, epoch, user, h, err := mindtouch.ParseToken(tt.in)
			if tt.wantErrPart != "" {
				require.ErrorIs(t, err, mindtouch.ErrMalformedToken)
				assert.Contains(t, err.Error(), tt.wantErrPart)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.key, key)
			assert.Equal(t, tt.epoch, epoch)
			assert.Equal(t, tt.user, user)
			assert.Equal(t, hash, h)
		})
	}
}

func TestVerify(t *testing.T) {
	tok := mindtouch.ServerToken{Key: "k", Secret: "s3cr3t", User: "=jane@example.com"}
	at := time.Unix(1700000000, 0)
	good := tok.Sign(at)
	flipped := []byte(good)
	if flipped[len(flipped)-1] == '0' {
		flipped[len(flipped)-1] = '1'
	} else {
		flipped[len(flipped)-1] = '0'
	}
	otherUser := strings.Replace(good, "=jane@example.com", "=mallory", 1)
	tests := []struct {
		name    string
		token   string
		secret  string
		now     time.Time
		wantErr error
	}{
		{"fresh", good, "s3cr3t", at, nil},
		{"4m59s old", good, "s3cr3t", at.Add(4*time.Minute + 59*time.Second), nil},
		{"exactly 5m old", good, "s3cr3t", at.Add(5 * time.Minute), nil},
		{"5m01s old", good, "s3cr3t", at.Add(5*time.Minute + time.Second), mindtouch.ErrExpiredToken},
		{"clock skew 1m", good, "s3cr3t", at.Add(-time.Minute), nil},
		{"from the future", good, "s3cr3t", at.Add(-6 * time.Minute), mindtouch.ErrExpiredToken},
		{"wrong secret", good, "other", at, mindtouch.ErrBadSignature},
		{"tampered hash", string(flipped), "s3cr3t", at, mindtouch.ErrBadSignature},
		{"user swapped", otherUser, "s3cr3t", at, mindtouch.ErrBadSignature},
		{"not a token", "Bearer abc", "s3cr3t", at, mindtouch.ErrMalformedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mindtouch.Verify(tt.token, tt.secret, tt.now, mindtouch.SignatureLifetime)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.NotContains(t, err.Error(), "s3cr3t")
		})
	}
}
