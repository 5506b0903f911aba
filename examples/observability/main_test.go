package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func TestRunPrintsSpansAndMetrics(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	s := out.String()
	for _, want := range []string{
		"mindpeeker GET [internal,",
		"event mindpeeker.retry: http.request.resend_count=1 mindpeeker.retry.reason=429 mindpeeker.retry.wait=1",
		"event mindpeeker.retry: http.request.resend_count=1 mindpeeker.retry.reason=401 mindpeeker.retry.wait=0",
		"GET [client, ", "status=Error(429)", "status=Error(401)",
		"mindpeeker.token.renew [internal,",
		"mindpeeker.token.grant_type=client_credentials mindpeeker.token.outcome=success",
		"http.client.request.duration (s)",
		"value=2  mindpeeker.token.grant_type=client_credentials mindpeeker.token.outcome=success",
		"value=1  http.request.method=GET mindpeeker.retry.reason=429",
		"value=1  http.request.method=GET mindpeeker.retry.reason=401",
		"mindpeeker.http.client.rate_limit.wait (s)\n      count=1 sum=1.000",
	} {
		assert.Contains(t, s, want)
	}
	assert.Len(t, regexp.MustCompile(`(?m)^trace [0-9a-f]{32}$`).FindAllString(s, -1), 4, "two calls, two token renewals")
	assert.NotContains(t, s, mindpeekertest.DefaultClientSecret)
}
