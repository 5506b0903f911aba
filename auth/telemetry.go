package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// The telemetry of a [Source] (see [WithTracerProvider], [WithMeterProvider]).
const (
	// metricTokenRenewals counts renewals, by attrGrantType and attrOutcome
	// (with error.type on failure). client's package doc lists them all.
	metricTokenRenewals = "mindpeeker.token.renewals"
	// metricTokenRenewalDuration is the latency of renewals (seconds), with
	// the attributes of metricTokenRenewals.
	metricTokenRenewalDuration = "mindpeeker.token.renewal.duration"

	attrGrantType = attribute.Key("mindpeeker.token.grant_type") // client_credentials, password, refresh_token, or the grant's Go type
	attrOutcome   = attribute.Key("mindpeeker.token.outcome")    // success or failure
	// attrServingValid is true on a failed renewal while the current token,
	// still valid, keeps being handed out.
	attrServingValid = attribute.Key("mindpeeker.token.serving_valid")
)

const instrumentationName = "github.com/mindpeeker/mindpeeker-go/auth"

// telemetry is a Source's instrumentation; its zero value records nothing.
type telemetry struct {
	tracer   trace.Tracer // nil: no spans
	renewals metric.Int64Counter
	latency  metric.Float64Histogram // nil: no metrics
}

// WithTracerProvider makes the Source record each renewal as a span
// ("mindpeeker.token.renew", the root of a trace of its own, since one
// renewal serves every caller waiting), with the grant's token request as a
// child span ("mindpeeker.token.request"): grant type, outcome, error.type.
// No token, secret or server text is ever recorded. nil: no spans.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(s *Source) {
		if tp != nil {
			s.tel.tracer = tp.Tracer(instrumentationName, trace.WithSchemaURL(semconv.SchemaURL))
		}
	}
}

// WithMeterProvider makes the Source count renewals and their failures
// (mindpeeker.token.renewals, by grant type and outcome) and measure their latency
// (mindpeeker.token.renewal.duration, seconds). nil: no metrics.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(s *Source) {
		if mp == nil {
			return
		}
		m := mp.Meter(instrumentationName, metric.WithSchemaURL(semconv.SchemaURL))
		var err error
		if s.tel.renewals, err = m.Int64Counter(metricTokenRenewals, metric.WithUnit("{renewal}"),
			metric.WithDescription("Token renewals, by grant type and outcome.")); err != nil {
			return
		}
		s.tel.latency, _ = m.Float64Histogram(metricTokenRenewalDuration, metric.WithUnit("s"),
			metric.WithDescription("Duration of token renewals."),
			metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
	}
}

// start starts a span named name when tracing is on (else span is nil).
func (t *telemetry) start(ctx context.Context, name string, grant string) (context.Context, trace.Span) {
	if t.tracer == nil {
		return ctx, nil
	}
	return t.tracer.Start(ctx, name, trace.WithAttributes(attrGrantType.String(grant)))
}

// end ends span (nil: none) with the outcome err, and returns the outcome's
// attributes.
func (t *telemetry) end(span trace.Span, grant string, err error) []attribute.KeyValue {
	attrs := []attribute.KeyValue{attrGrantType.String(grantOf(grant, err)), attrOutcome.String("success")}
	if err != nil {
		et := tokenErrorType(err)
		attrs = append(attrs[:1], attrOutcome.String("failure"), semconv.ErrorTypeKey.String(et))
		if span != nil {
			span.SetStatus(codes.Error, et)
		}
	}
	if span != nil {
		span.SetAttributes(attrs...)
		span.End()
	}
	return attrs
}

// renewed records a renewal that took elapsed and ended with err; serving
// tells a failed renewal that leaves a valid token in use.
func (t *telemetry) renewed(ctx context.Context, span trace.Span, grant string, elapsed time.Duration, err error, serving bool) {
	if err != nil && span != nil {
		span.SetAttributes(attrServingValid.Bool(serving))
	}
	attrs := t.end(span, grant, err)
	if t.latency == nil {
		return
	}
	set := metric.WithAttributes(attrs...)
	t.renewals.Add(ctx, 1, set)
	t.latency.Record(ctx, elapsed.Seconds(), set)
}

// grantType names g for telemetry: the OAuth grant_type of this package's
// grants, else g's Go type (never its value, which holds secrets).
func grantType(g Grant) string {
	switch g.(type) {
	case ClientCredentials, *ClientCredentials:
		return "client_credentials"
	case Password, *Password:
		return "password"
	case RefreshToken, *RefreshToken:
		return "refresh_token"
	}
	return fmt.Sprintf("%T", g)
}

// grantOf is the grant that failed, when err names it (a Password grant
// failing its refresh), else grant.
func grantOf(grant string, err error) string {
	var te *TokenError
	if errors.As(err, &te) && validCode(te.Grant) {
		return te.Grant
	}
	return grant
}

// tokenErrorType is a renewal's error.type: the OAuth error code, the token
// endpoint's status, or the kind of failure; never server text.
func tokenErrorType(err error) string {
	var te *TokenError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &te) && te.Code != "":
		if validCode(te.Code) {
			return te.Code
		}
	case errors.As(err, &te) && te.StatusCode != 0:
		return strconv.Itoa(te.StatusCode)
	case errors.Is(err, ErrInsecureURL):
		return "insecure_url"
	}
	return semconv.ErrorTypeOther.Value.AsString()
}

// validCode reports an OAuth error code's shape (RFC 6749 §5.2 uses
// lowercase words joined by underscores): anything else is server text that
// has no place in telemetry.
func validCode(code string) bool {
	if code == "" || len(code) > 64 {
		return false
	}
	for _, r := range code {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}
