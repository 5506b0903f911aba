package client_test

import (
	"context"
	"testing"

	"golang.org/x/oauth2"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// BenchmarkGetTelemetry is BenchmarkGet's impl=sdk with the OpenTelemetry SDK
// configured: every span sampled and handed to an exporter that drops it,
// metrics aggregated by a manual reader. Compare with BenchmarkGet/impl=sdk
// (no providers) in the same run.
func BenchmarkGetTelemetry(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
	src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "bench-token", ExpiresIn: 3600}, nil
	}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter())))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	c, err := client.New(client.Config{BaseURL: srv.URL + "/v1", HTTPClient: newHTTPClient(), TokenSource: src,
		TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Sessions.Get(ctx, "ses_123"); err != nil {
			b.Fatal(err)
		}
	}
}
