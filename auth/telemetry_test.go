package auth_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// TestSourceTelemetryBackgroundFailure: a background renewal that fails
// while the current token is still served is a failed renewal span (with
// error.type, never the server's text), a failure in the renewal counter and
// a warning that says the token is still served.
func TestSourceTelemetryBackgroundFailure(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			w.WriteHeader(503)
			w.Write([]byte("upstream sso-secret-detail"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"tok-value","token_type":"bearer","expires_in":3600}`))
	}))
	t.Cleanup(srv.Close)
	clk := newClock()
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	logs := newLogRecorder()
	src := auth.NewSource(auth.ClientCredentials{TokenURL: srv.URL, ClientID: "id", ClientSecret: "the-secret"},
		auth.WithClock(clk.Now), auth.WithLogger(slog.New(logs)),
		auth.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))),
		auth.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	_, err := src.Token()
	require.NoError(t, err)
	clk.Advance(56 * time.Minute)
	_, err = src.Token()
	require.NoError(t, err)
	logs.waitFor(t, "auth: token renewal failed")
	assert.Contains(t, logs.text(), "serving_current_token=true valid_for=")

	require.Eventually(t, func() bool { return len(spans.Ended()) == 4 }, 5*time.Second, time.Millisecond)
	var renewals []sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == "mindpeeker.token.renew" {
			renewals = append(renewals, s)
		}
		for _, kv := range s.Attributes() {
			assert.NotContains(t, kv.Value.String(), "secret")
			assert.NotContains(t, kv.Value.String(), "tok-value")
		}
	}
	require.Len(t, renewals, 2)
	ok, failed := renewals[0], renewals[1]
	assert.Equal(t, codes.Unset, ok.Status().Code)
	assert.Equal(t, codes.Error, failed.Status().Code)
	assert.Equal(t, "503", failed.Status().Description)
	assert.Contains(t, failed.Attributes(), attribute.String("mindpeeker.token.outcome", "failure"))
	assert.Contains(t, failed.Attributes(), attribute.String("error.type", "503"))
	assert.Contains(t, failed.Attributes(), attribute.Bool("mindpeeker.token.serving_valid", true))
	assert.Contains(t, failed.Attributes(), attribute.String("mindpeeker.token.grant_type", "client_credentials"))

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	counts := map[string]int64{}
	var latencies uint64
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				v, _ := p.Attributes.Value("mindpeeker.token.outcome")
				counts[v.AsString()] += p.Value
			}
		case metricdata.Histogram[float64]:
			for _, p := range d.DataPoints {
				latencies += p.Count
			}
		}
	}
	assert.Equal(t, map[string]int64{"success": 1, "failure": 1}, counts)
	assert.Equal(t, uint64(2), latencies)
}
