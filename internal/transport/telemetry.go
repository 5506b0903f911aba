package transport

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
)

// instrumentationName names the tracer and meter of the engine's telemetry.
const instrumentationName = "github.com/mindpeeker/mindpeeker-go"

// The SDK's own attributes and instruments (the others are semantic
// conventions'); client's package doc lists them all.
const (
	attrRetryReason    = attribute.Key("mindpeeker.retry.reason")    // 401, 429, 5xx, network
	attrRetryWait      = attribute.Key("mindpeeker.retry.wait")      // seconds waited before the retry
	attrRetryStop      = attribute.Key("mindpeeker.retry.stop")      // why a failed attempt was not retried
	attrAttempts       = attribute.Key("mindpeeker.attempts")        // attempts sent in the call
	attrRequestID      = attribute.Key("mindpeeker.request_id")      // X-Request-Id of the last answer
	attrIdempotencyKey = attribute.Key("mindpeeker.idempotency_key") // the call's Idempotency-Key

	metricRetries       = "mindpeeker.http.client.retries"
	metricRateLimitWait = "mindpeeker.http.client.rate_limit.wait"
)

// Telemetry is the engine's OpenTelemetry instrumentation: a span per call,
// a client span and an http.client.request.duration measurement per request
// sent, retry events and counters. A nil *Telemetry instruments nothing and
// costs nothing; NewTelemetry returns nil when there is nothing to record.
type Telemetry struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	traces     bool                 // an explicit provider that records
	metrics    bool                 // an explicit meter provider
	unsetTP    trace.TracerProvider // the global provider before any was set: traces wait for one
	unsetMP    metric.MeterProvider // likewise for metrics

	duration httpconv.ClientRequestDuration
	retries  metric.Int64Counter
	rateWait metric.Float64Histogram
}

// NewTelemetry returns the instrumentation recording through tp and mp (nil:
// the global providers, otel.GetTracerProvider and otel.GetMeterProvider), and
// propagating trace context with otel.GetTextMapPropagator. It returns nil
// when both providers are no-ops.
//
// A nil provider while no global one is set yet is not a no-op: each call
// checks (two atomic loads, no allocation) whether a global provider has been
// set since, and records through it once it is. Until then calls are not
// instrumented at all.
func NewTelemetry(tp trace.TracerProvider, mp metric.MeterProvider, version string) *Telemetry {
	t := &Telemetry{propagator: otel.GetTextMapPropagator()}
	if tp == nil {
		tp = otel.GetTracerProvider()
		if unsetGlobal(tp) {
			t.unsetTP = tp
		}
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
		if unsetGlobal(mp) {
			t.unsetMP = mp
		}
	}
	_, noTraces := tp.(tracenoop.TracerProvider)
	t.traces = !noTraces && t.unsetTP == nil
	t.metrics = !isNoopMeter(mp) && t.unsetMP == nil
	if !t.traces && !t.metrics && t.unsetTP == nil && t.unsetMP == nil {
		return nil
	}
	t.tracer = tp.Tracer(instrumentationName, trace.WithInstrumentationVersion(version), trace.WithSchemaURL(semconv.SchemaURL))
	meter := mp.Meter(instrumentationName, metric.WithInstrumentationVersion(version), metric.WithSchemaURL(semconv.SchemaURL))
	// Creating instruments fails only on invalid names; ours are constant,
	// and the API then returns no-op instruments anyway.
	t.duration, _ = httpconv.NewClientRequestDuration(meter)
	t.retries, _ = meter.Int64Counter(metricRetries, metric.WithUnit("{retry}"),
		metric.WithDescription("Retries of API requests, by reason (mindpeeker.retry.reason: 401, 429, 5xx, network)."))
	t.rateWait, _ = meter.Float64Histogram(metricRateLimitWait, metric.WithUnit("s"),
		metric.WithDescription("Waits before retrying a rate-limited (429, or 503 with Retry-After) request."),
		metric.WithExplicitBucketBoundaries(0, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))
	return t
}

// unsetGlobal reports whether p is OpenTelemetry's global provider before any
// was set: a delegating no-op of go.opentelemetry.io/otel/internal/global,
// whose type cannot be named from here.
func unsetGlobal(p any) bool {
	t := reflect.TypeOf(p)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().PkgPath() == "go.opentelemetry.io/otel/internal/global"
}

func isNoopMeter(mp metric.MeterProvider) bool {
	return reflect.TypeOf(mp).PkgPath() == "go.opentelemetry.io/otel/metric/noop"
}

// active reports what this call records: cheap, and allocation-free.
func (t *Telemetry) active() (traces, metrics bool) {
	traces = t.traces || (t.unsetTP != nil && otel.GetTracerProvider() != t.unsetTP)
	metrics = t.metrics || (t.unsetMP != nil && otel.GetMeterProvider() != t.unsetMP)
	return traces, metrics
}

// wrap returns rt instrumented per request sent (nil: http.DefaultTransport).
func (t *Telemetry) wrap(rt http.RoundTripper) http.RoundTripper {
	if t == nil {
		return rt
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return instrumentedTransport{next: rt}
}

// callTelemetry is one call's instrumentation; nil when the call records nothing.
type callTelemetry struct {
	t       *Telemetry
	span    trace.Span // the call's span; nil when traces are off
	metrics bool
	sends   int // requests sent so far, redirect hops included
}

// observe starts c's instrumentation and returns the context carrying its
// span. The call goes to u, or when u is nil to target (parsed only when the
// call is observed).
func (t *Telemetry) observe(ctx context.Context, c *call, target string, u *url.URL) context.Context {
	if t == nil {
		return ctx
	}
	traces, metrics := t.active()
	if !traces && !metrics {
		return ctx
	}
	c.obs = &callTelemetry{t: t, metrics: metrics}
	if !traces {
		return ctx
	}
	if u == nil {
		var err error
		if u, err = url.Parse(target); err != nil {
			u = &url.URL{}
		}
	}
	ctx, c.obs.span = t.tracer.Start(ctx, "mindpeeker "+c.method, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(requestAttrs(c.method, u)...))
	return ctx
}

// decided records the policy's decision after an attempt.
func (o *callTelemetry) decided(ctx context.Context, c *call, d Decision) {
	if o == nil || d.Reason == ReasonNone {
		return
	}
	reason := attrRetryReason.String(string(d.Reason))
	if o.span != nil {
		if d.Retry {
			o.span.AddEvent("mindpeeker.retry", trace.WithAttributes(reason,
				attrRetryWait.Float64(d.Wait.Seconds()), semconv.HTTPRequestResendCount(o.sends)))
		} else {
			o.span.AddEvent("mindpeeker.retry.stop", trace.WithAttributes(reason, attrRetryStop.String(string(d.Stop))))
			o.span.SetAttributes(attrRetryStop.String(string(d.Stop)))
		}
	}
	if !o.metrics || !d.Retry {
		return
	}
	o.t.retries.Add(ctx, 1, metric.WithAttributes(reason, methodAttr(c.method)))
	if d.Reason == ReasonRateLimited {
		o.t.rateWait.Record(ctx, d.Wait.Seconds(), metric.WithAttributes(methodAttr(c.method)))
	}
}

// end closes the call's span with its outcome.
func (o *callTelemetry) end(c *call, err error) {
	if o == nil || o.span == nil {
		return
	}
	attrs := []attribute.KeyValue{attrAttempts.Int(c.attempts)}
	if c.resp.StatusCode != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(c.resp.StatusCode))
		if id := requestID(c.resp.Header); id != "" {
			attrs = append(attrs, attrRequestID.String(id))
		}
	}
	if c.idempotencyKey != "" {
		attrs = append(attrs, attrIdempotencyKey.String(c.idempotencyKey))
	}
	if err != nil {
		et := errorType(err)
		attrs = append(attrs, semconv.ErrorTypeKey.String(et))
		o.span.SetStatus(codes.Error, et)
	}
	o.span.SetAttributes(attrs...)
	o.span.End()
}

// instrumentedTransport makes each request a call sends (attempts and
// redirect hops) an HTTP client span, child of the call's, with
// http.request.resend_count from the second on, carrying the trace context
// to the server, and an http.client.request.duration measurement.
type instrumentedTransport struct{ next http.RoundTripper }

func (it instrumentedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, _ := req.Context().Value(callKey{}).(*call)
	if c == nil || c.obs == nil {
		return it.next.RoundTrip(req)
	}
	return c.obs.send(req, it.next)
}

func (o *callTelemetry) send(req *http.Request, next http.RoundTripper) (*http.Response, error) {
	attrs := requestAttrs(req.Method, req.URL)
	if o.sends > 0 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(o.sends))
	}
	o.sends++
	var span trace.Span
	if o.span != nil {
		var ctx context.Context
		ctx, span = o.t.tracer.Start(req.Context(), req.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
		req = req.WithContext(ctx) // a RoundTripper must not modify its request
		req.Header = req.Header.Clone()
		o.t.propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	start := time.Now()
	resp, err := next.RoundTrip(req)
	elapsed := time.Since(start)
	var end []attribute.KeyValue
	var failure string // error.type; "" for a success
	switch {
	case err != nil:
		failure = errorType(err)
	case resp.StatusCode >= 400:
		failure = strconv.Itoa(resp.StatusCode)
	}
	if failure != "" {
		end = append(end, semconv.ErrorTypeKey.String(failure))
	}
	if resp != nil {
		end = append(end, semconv.HTTPResponseStatusCode(resp.StatusCode), semconv.NetworkProtocolVersion(protocolVersion(resp)))
	}
	if span != nil {
		span.SetAttributes(end...)
		if resp != nil {
			if id := requestID(resp.Header); id != "" {
				span.SetAttributes(attrRequestID.String(id))
			}
		}
		if failure != "" {
			span.SetStatus(codes.Error, failure)
		}
		span.End()
	}
	if o.metrics {
		// The conventions' attributes: method, server.address and .port
		// (from requestAttrs), status code, error.type, protocol version.
		m := append(attrs[:0:0], attrs[0], attrs[1], attrs[2])
		o.t.duration.Inst().Record(req.Context(), elapsed.Seconds(), metric.WithAttributes(append(m, end...)...))
	}
	return resp, err
}

// requestAttrs are the conventions' attributes of a request to u:
// http.request.method, server.address, server.port (the first three, in this
// order), url.full without its query (which may carry anything the caller
// put there) or user info.
func requestAttrs(method string, u *url.URL) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, methodAttr(method))
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		switch u.Scheme {
		case "https":
			port = 443
		case "http":
			port = 80
		}
	}
	full := *u
	full.User, full.RawQuery, full.ForceQuery, full.Fragment, full.RawFragment = nil, "", false, "", ""
	attrs = append(attrs, semconv.ServerAddress(u.Hostname()), semconv.ServerPort(port), semconv.URLFull(full.String()))
	if attrs[0] == semconv.HTTPRequestMethodOther {
		attrs = append(attrs, semconv.HTTPRequestMethodOriginal(method))
	}
	return attrs
}

// requestID is the answer's X-Request-Id, bounded and cleaned: it is server text.
func requestID(h http.Header) string {
	if id := h.Get("X-Request-Id"); id != "" {
		return auth.Excerpt(id, 128)
	}
	return ""
}

// methodAttr is http.request.method: a known method, else _OTHER.
func methodAttr(m string) attribute.KeyValue {
	switch m {
	case "", http.MethodGet:
		return semconv.HTTPRequestMethodGet
	case http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead,
		http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return semconv.HTTPRequestMethodKey.String(m)
	}
	return semconv.HTTPRequestMethodOther
}

func protocolVersion(resp *http.Response) string {
	if resp.ProtoMajor >= 2 {
		return strconv.Itoa(resp.ProtoMajor)
	}
	return strconv.Itoa(resp.ProtoMajor) + "." + strconv.Itoa(resp.ProtoMinor)
}

// errorType is the error.type of a failed call or request: low-cardinality,
// and never the error's text (which may carry server text).
func errorType(err error) string {
	var ae *apierror.Error
	var de *DecodeError
	var te *auth.TokenError
	var dns *net.DNSError
	var op *net.OpError
	var ne net.Error
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &ae):
		return strconv.Itoa(ae.StatusCode)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &te), errors.Is(err, ErrTokenNotRenewed):
		return "credentials"
	case errors.As(err, &de):
		return "decode"
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid):
		return "tls"
	case errors.Is(err, auth.ErrInsecureURL):
		return "insecure_url"
	case errors.Is(err, errTooManyRedirects):
		return "too_many_redirects"
	case errors.As(err, &dns):
		return "dns"
	case errors.As(err, &op):
		return "connection"
	}
	return semconv.ErrorTypeOther.Value.AsString()
}
