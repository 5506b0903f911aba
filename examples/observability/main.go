// Command observability shows the SDK's OpenTelemetry spans and metrics: it
// makes one call that the API rate-limits once (429, Retry-After: 1) and one
// whose token the server has revoked (401: the token is renewed, the call
// retried), then prints what an OpenTelemetry SDK received: the spans as
// trees, and every metric data point.
//
// It runs against the in-process fake API (mindpeekertest), with no setup:
//
//	go run ./examples/observability
//
// In a service, set Config.TracerProvider and Config.MeterProvider (or the
// global providers) to the SDK providers that export to your collector, and
// the text map propagator (otel.SetTextMapPropagator) that your services use.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "observability:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	fake := mindpeekertest.NewServer()
	defer fake.Close()
	id := fake.CreateSession("Observed target")

	// An in-memory recorder and a manual reader stand in for exporters.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	otel.SetTextMapPropagator(propagation.TraceContext{}) // traceparent on every request to the API

	c, err := client.New(client.Config{
		BaseURL: fake.APIURL(), TokenURL: fake.TokenURL(),
		ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret,
		TracerProvider: tp, MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err != nil {
		return err
	}

	fmt.Fprintln(w, "1. GET a session; the fake answers 429 with Retry-After: 1 once")
	fake.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 429, RetryAfter: "1", Target: "GET /v1/sessions"})
	if _, err := c.Sessions.Get(ctx, id); err != nil {
		return err
	}
	fmt.Fprintln(w, "2. The fake revokes every token; GET again: 401, the token is renewed, the call retried")
	fake.RevokeAllTokens()
	if _, err := c.Sessions.Get(ctx, id); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nSpans (one tree per trace; token renewals are traces of their own):")
	printSpans(w, spans.Ended())
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nMetrics:")
	printMetrics(w, rm)
	return nil
}

// printSpans prints spans as trees, roots in the order they started.
func printSpans(w io.Writer, spans []sdktrace.ReadOnlySpan) {
	slices.SortFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	children := map[trace.SpanID][]sdktrace.ReadOnlySpan{}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Parent().IsValid() {
			children[s.Parent().SpanID()] = append(children[s.Parent().SpanID()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		indent := strings.Repeat("    ", depth)
		status := ""
		if s.Status().Code.String() == "Error" {
			status = " status=Error(" + s.Status().Description + ")"
		}
		fmt.Fprintf(w, "%s%s [%s, %s]%s\n", indent, s.Name(), s.SpanKind(), s.EndTime().Sub(s.StartTime()).Round(time.Millisecond), status)
		fmt.Fprintf(w, "%s    %s\n", indent, formatAttrs(s.Attributes()))
		for _, ev := range s.Events() {
			fmt.Fprintf(w, "%s    event %s: %s\n", indent, ev.Name, formatAttrs(ev.Attributes))
		}
		for _, ch := range children[s.SpanContext().SpanID()] {
			walk(ch, depth+1)
		}
	}
	for _, r := range roots {
		fmt.Fprintf(w, "trace %s\n", r.SpanContext().TraceID())
		walk(r, 1)
	}
}

// printMetrics prints every data point: a histogram's count and sum, a
// counter's value.
func printMetrics(w io.Writer, rm metricdata.ResourceMetrics) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			fmt.Fprintf(w, "  %s (%s)\n", m.Name, m.Unit)
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					fmt.Fprintf(w, "      count=%d sum=%.3f  %s\n", p.Count, p.Sum, formatAttrs(p.Attributes.ToSlice()))
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					fmt.Fprintf(w, "      value=%d  %s\n", p.Value, formatAttrs(p.Attributes.ToSlice()))
				}
			}
		}
	}
}

func formatAttrs(kvs []attribute.KeyValue) string {
	parts := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
