package transport_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

func TestNewTelemetryNilForNoopProviders(t *testing.T) {
	assert.Nil(t, transport.NewTelemetry(tracenoop.NewTracerProvider(), metricnoop.NewMeterProvider(), ""))
	// No provider, and none set globally yet: instrumented, waiting for one.
	assert.NotNil(t, transport.NewTelemetry(nil, nil, ""))
}

// TestTelemetryUnusedCostsNoAllocation: with no provider configured and none
// set globally, a call allocates exactly what it does without telemetry, by
// Do and by HTTPClient. (This package's tests never set a global provider.)
func TestTelemetryUnusedCostsNoAllocation(t *testing.T) {
	// An in-memory server: AllocsPerRun counts every goroutine's allocations.
	inMemory := func(o *transport.Options) { o.HTTPClient = &http.Client{Transport: cannedTransport{}} }
	const base = "https://api.example.test"
	plain := newEngine(t, base, nil, inMemory)
	unused := newEngine(t, base, nil, inMemory, func(o *transport.Options) { o.Telemetry = transport.NewTelemetry(nil, nil, "") })
	ctx := context.Background()
	viaDo := func(e *transport.Engine) func() {
		return func() {
			var out map[string]any
			require.NoError(t, e.Do(ctx, "GET", "/x", nil, &out))
		}
	}
	viaHTTPClient := func(e *transport.Engine) func() {
		return func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/x", nil)
			resp, err := e.HTTPClient().Do(req)
			require.NoError(t, err)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	for name, send := range map[string]func(*transport.Engine) func(){"Do": viaDo, "HTTPClient": viaHTTPClient} {
		send(plain)() // warm the connections
		send(unused)()
		want := testing.AllocsPerRun(200, send(plain))
		got := testing.AllocsPerRun(200, send(unused))
		assert.InDelta(t, want, got, 0.5, "%s: allocations per call", name)
	}
}

// cannedTransport answers every request 200 {"id":"x"}.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"id":"x"}`)), Request: req}, nil
}
