package auth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

func TestSystemBrowserOpensOnlyWebURLs(t *testing.T) {
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "-flag", "ftp://x", "http://u:TOPSECRET@%zz"} {
		err := auth.SystemBrowser(u)
		if assert.Error(t, err, u) {
			assert.NotContains(t, err.Error(), "TOPSECRET")
		}
	}
}
