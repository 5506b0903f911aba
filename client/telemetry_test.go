package client_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// The secrets of the telemetry tests: none may appear in any span, event or
// metric.
const (
	telSecret  = "cs-Zq81-telemetry-secret"
	telAccess  = "at-Xy55-telemetry-access"
	telRefresh = "rt-Wv77-telemetry-refresh"
	telAPIKey  = "mpk_live_Uu99telemetrykey"
)

// apiServer is a small server written from the MindPeeker document: an
// OAuth2 token endpoint (client credentials, form body) and GET
// /v1/sessions/{id}. answer picks the status of each API request (0: 200).
type apiServer struct {
	*httptest.Server
	answer      func(n int, r *http.Request) (status int, retryAfter string)
	apiRequests atomic.Int32
	tokens      atomic.Int32
	mu          sync.Mutex
	traceparent []string
}

func newAPIServer(t *testing.T, answer func(n int, r *http.Request) (int, string)) *apiServer {
	s := &apiServer{answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/token" {
			n := s.tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":"%s-%d","token_type":"bearer","expires_in":3600,"refresh_token":"%s"}`, telAccess, n, telRefresh)
			return
		}
		n := int(s.apiRequests.Add(1))
		s.mu.Lock()
		s.traceparent = append(s.traceparent, r.Header.Get("Traceparent"))
		s.mu.Unlock()
		w.Header().Set("X-Request-Id", fmt.Sprintf("req_%d", n))
		status, retryAfter := 0, ""
		if s.answer != nil {
			status, retryAfter = s.answer(n, r)
		}
		if status == 0 && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "+telAccess) && r.Header.Get("X-Api-Key") != telAPIKey {
			status = 401
		}
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"code":"e%d","message":"no"}}`, status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, sessionJSON)
	}))
	t.Cleanup(s.Close)
	return s
}

// observed is a client recording into an in-memory span recorder and a
// manual metric reader of the real SDK.
type observed struct {
	*client.Client
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	logs   *bytes.Buffer
}

func newObserved(t *testing.T, srv *apiServer, mutate ...func(*client.Config)) *observed {
	o := &observed{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader(), logs: &bytes.Buffer{}}
	o.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(o.spans))
	cfg := client.Config{
		BaseURL: srv.URL + "/v1", TokenURL: srv.URL + "/oauth2/token", ClientID: "cid", ClientSecret: telSecret,
		TracerProvider: o.tp, MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(o.reader)),
		Logger: slog.New(slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := client.New(cfg)
	require.NoError(t, err)
	o.Client = c
	return o
}

func (o *observed) named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range o.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func (o *observed) metrics(t *testing.T) metricdata.ResourceMetrics {
	var rm metricdata.ResourceMetrics
	require.NoError(t, o.reader.Collect(context.Background(), &rm))
	return rm
}

func attrs(kvs []attribute.KeyValue) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

// points returns, for the metric name, each data point's attributes and its
// count (histograms) or value (sums).
func points(rm metricdata.ResourceMetrics, name string) map[attribute.Distinct]struct {
	set   attribute.Set
	count int64
} {
	out := map[attribute.Distinct]struct {
		set   attribute.Set
		count int64
	}{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[p.Attributes.Equivalent()] = struct {
						set   attribute.Set
						count int64
					}{p.Attributes, int64(p.Count)}
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[p.Attributes.Equivalent()] = struct {
						set   attribute.Set
						count int64
					}{p.Attributes, p.Value}
				}
			}
		}
	}
	return out
}

// total sums the counts of name's points whose attributes include want.
func total(rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) int64 {
	var n int64
	for _, p := range points(rm, name) {
		ok := true
		for _, kv := range want {
			if v, has := p.set.Value(kv.Key); !has || v != kv.Value {
				ok = false
			}
		}
		if ok {
			n += p.count
		}
	}
	return n
}

func TestTelemetryPlainCall(t *testing.T) {
	srv := newAPIServer(t, nil)
	o := newObserved(t, srv)
	_, err := o.Sessions.Get(context.Background(), "ses_123")
	require.NoError(t, err)

	calls := o.named("mindpeeker GET")
	require.Len(t, calls, 1)
	call := calls[0]
	assert.Equal(t, trace.SpanKindInternal, call.SpanKind())
	a := attrs(call.Attributes())
	assert.Equal(t, "GET", a["http.request.method"].AsString())
	assert.Equal(t, int64(200), a["http.response.status_code"].AsInt64())
	assert.Equal(t, "127.0.0.1", a["server.address"].AsString())
	assert.Equal(t, srv.URL+"/v1/sessions/ses_123", a["url.full"].AsString())
	assert.Equal(t, "req_1", a["mindpeeker.request_id"].AsString())
	assert.Equal(t, int64(1), a["mindpeeker.attempts"].AsInt64())
	assert.Equal(t, codes.Unset, call.Status().Code)

	sends := o.named("GET")
	require.Len(t, sends, 1)
	assert.Equal(t, trace.SpanKindClient, sends[0].SpanKind())
	assert.Equal(t, call.SpanContext().SpanID(), sends[0].Parent().SpanID())
	sa := attrs(sends[0].Attributes())
	assert.Equal(t, int64(200), sa["http.response.status_code"].AsInt64())
	assert.NotContains(t, sa, "http.request.resend_count")
	assert.Equal(t, "1.1", sa["network.protocol.version"].AsString())

	renew := o.named("mindpeeker.token.renew")
	require.Len(t, renew, 1)
	assert.Equal(t, "client_credentials", attrs(renew[0].Attributes())["mindpeeker.token.grant_type"].AsString())
	assert.Equal(t, "success", attrs(renew[0].Attributes())["mindpeeker.token.outcome"].AsString())
	require.Len(t, o.named("mindpeeker.token.request"), 1)
	assert.Equal(t, renew[0].SpanContext().SpanID(), o.named("mindpeeker.token.request")[0].Parent().SpanID())

	rm := o.metrics(t)
	assert.Equal(t, int64(1), total(rm, "http.client.request.duration",
		attribute.String("http.request.method", "GET"), attribute.Int("http.response.status_code", 200),
		attribute.String("server.address", "127.0.0.1")))
	assert.Equal(t, int64(0), total(rm, "mindpeeker.http.client.retries"))
	assert.Equal(t, int64(1), total(rm, "mindpeeker.token.renewals",
		attribute.String("mindpeeker.token.outcome", "success"), attribute.String("mindpeeker.token.grant_type", "client_credentials")))
	assert.Equal(t, int64(1), total(rm, "mindpeeker.token.renewal.duration"))
	assertBuckets(t, rm)

	assert.Contains(t, o.logs.String(), `msg="mindpeeker: request attempt" method=GET path=/sessions/ses_123 attempt=1 duration=`)
	assert.NotRegexp(t, `duration=\d+h`, o.logs.String(), "an attempt timed from the zero time")
	assert.Contains(t, o.logs.String(), "status=200 request_id=req_1")
}

// assertBuckets checks http.client.request.duration against the conventions:
// a histogram in seconds with their bucket boundaries.
func assertBuckets(t *testing.T, rm metricdata.ResourceMetrics) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "http.client.request.duration" {
				assert.Equal(t, "s", m.Unit)
				h := m.Data.(metricdata.Histogram[float64])
				assert.Equal(t, []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}, h.DataPoints[0].Bounds)
				return
			}
		}
	}
	t.Error("no http.client.request.duration")
}

func TestTelemetryRateLimitedRetry(t *testing.T) {
	srv := newAPIServer(t, func(n int, _ *http.Request) (int, string) {
		if n == 1 {
			return 429, "0"
		}
		return 0, ""
	})
	o := newObserved(t, srv)
	_, err := o.Sessions.Get(context.Background(), "ses_123")
	require.NoError(t, err)

	call := o.named("mindpeeker GET")[0]
	assert.Equal(t, int64(2), attrs(call.Attributes())["mindpeeker.attempts"].AsInt64())
	require.Len(t, call.Events(), 1)
	ev := call.Events()[0]
	assert.Equal(t, "mindpeeker.retry", ev.Name)
	ea := attrs(ev.Attributes)
	assert.Equal(t, "429", ea["mindpeeker.retry.reason"].AsString())
	assert.Equal(t, 0.0, ea["mindpeeker.retry.wait"].AsFloat64())
	assert.Equal(t, int64(1), ea["http.request.resend_count"].AsInt64())

	sends := o.named("GET")
	require.Len(t, sends, 2)
	first, second := attrs(sends[0].Attributes()), attrs(sends[1].Attributes())
	assert.Equal(t, int64(429), first["http.response.status_code"].AsInt64())
	assert.Equal(t, "429", first["error.type"].AsString())
	assert.Equal(t, codes.Error, sends[0].Status().Code)
	assert.Equal(t, "429", sends[0].Status().Description)
	assert.NotContains(t, first, "http.request.resend_count")
	assert.Equal(t, int64(1), second["http.request.resend_count"].AsInt64())
	assert.Equal(t, int64(200), second["http.response.status_code"].AsInt64())

	rm := o.metrics(t)
	assert.Equal(t, int64(1), total(rm, "mindpeeker.http.client.retries", attribute.String("mindpeeker.retry.reason", "429")))
	assert.Equal(t, int64(1), total(rm, "mindpeeker.http.client.rate_limit.wait"))
	assert.Equal(t, int64(1), total(rm, "http.client.request.duration", attribute.Int("http.response.status_code", 429), attribute.String("error.type", "429")))
	assert.Equal(t, int64(2), total(rm, "http.client.request.duration"))
	assert.Contains(t, o.logs.String(), "status=429 request_id=req_1 reason=429 wait=0s")
}

func TestTelemetryUnauthorizedRenewal(t *testing.T) {
	srv := newAPIServer(t, func(n int, _ *http.Request) (int, string) {
		if n == 1 {
			return 401, ""
		}
		return 0, ""
	})
	o := newObserved(t, srv)
	_, err := o.Sessions.Get(context.Background(), "ses_123")
	require.NoError(t, err)

	call := o.named("mindpeeker GET")[0]
	require.Len(t, call.Events(), 1)
	assert.Equal(t, "401", attrs(call.Events()[0].Attributes)["mindpeeker.retry.reason"].AsString())
	assert.Len(t, o.named("GET"), 2)
	assert.Len(t, o.named("mindpeeker.token.renew"), 2, "the first token, then the renewal after the 401")

	rm := o.metrics(t)
	assert.Equal(t, int64(1), total(rm, "mindpeeker.http.client.retries", attribute.String("mindpeeker.retry.reason", "401")))
	assert.Equal(t, int64(2), total(rm, "mindpeeker.token.renewals", attribute.String("mindpeeker.token.outcome", "success")))
	assert.Equal(t, int64(2), total(rm, "mindpeeker.token.renewal.duration"))
}

func TestTelemetryFailedCall(t *testing.T) {
	srv := newAPIServer(t, func(int, *http.Request) (int, string) { return 503, "" })
	o := newObserved(t, srv, func(c *client.Config) { c.MaxRetries = -1 })
	_, err := o.Sessions.Get(context.Background(), "ses_123")
	require.Error(t, err)

	call := o.named("mindpeeker GET")[0]
	a := attrs(call.Attributes())
	assert.Equal(t, codes.Error, call.Status().Code)
	assert.Equal(t, "503", a["error.type"].AsString())
	assert.Equal(t, int64(503), a["http.response.status_code"].AsInt64())
	assert.Equal(t, "budget", a["mindpeeker.retry.stop"].AsString())
	require.Len(t, call.Events(), 1)
	assert.Equal(t, "mindpeeker.retry.stop", call.Events()[0].Name)
	assert.Equal(t, "5xx", attrs(call.Events()[0].Attributes)["mindpeeker.retry.reason"].AsString())

	assert.Contains(t, o.logs.String(), `level=WARN msg="mindpeeker: request failed, not retried" method=GET path=/sessions/ses_123`)
	assert.Contains(t, o.logs.String(), "reason=5xx stop=budget")
	assert.Equal(t, int64(1), total(o.metrics(t), "http.client.request.duration", attribute.String("error.type", "503")))
}

func TestTelemetryNetworkFailure(t *testing.T) {
	srv := newAPIServer(t, nil)
	o := newObserved(t, srv, func(c *client.Config) { c.MaxRetries = -1; c.BaseURL = "http://127.0.0.1:1/v1" })
	_, err := o.Sessions.Get(context.Background(), "ses_123")
	require.Error(t, err)
	call := o.named("mindpeeker GET")[0]
	assert.Equal(t, codes.Error, call.Status().Code)
	assert.Equal(t, "connection", attrs(call.Attributes())["error.type"].AsString())
	send := o.named("GET")[0]
	assert.Equal(t, "connection", attrs(send.Attributes())["error.type"].AsString())
	assert.NotContains(t, attrs(send.Attributes()), "http.response.status_code")
}

func TestTelemetryPropagatesTraceContext(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator()) })
	srv := newAPIServer(t, func(n int, _ *http.Request) (int, string) {
		if n == 1 {
			return 429, "0"
		}
		return 0, ""
	})
	o := newObserved(t, srv)
	ctx, parent := o.tp.Tracer("test").Start(context.Background(), "parent")
	_, err := o.Sessions.Get(ctx, "ses_123")
	parent.End()
	require.NoError(t, err)

	sends := o.named("GET")
	require.Len(t, srv.traceparent, 2)
	for i, tp := range srv.traceparent {
		// version-traceid-spanid-flags: each attempt names its own span.
		want := fmt.Sprintf("00-%s-%s-01", parent.SpanContext().TraceID(), sends[i].SpanContext().SpanID())
		assert.Equal(t, want, tp)
	}
	assert.Equal(t, parent.SpanContext().SpanID(), o.named("mindpeeker GET")[0].Parent().SpanID())
}

// TestTelemetryHTTPClient: requests sent through HTTPClient are observed as
// Do's are.
func TestTelemetryHTTPClient(t *testing.T) {
	srv := newAPIServer(t, func(n int, _ *http.Request) (int, string) {
		if n == 1 {
			return 429, "0"
		}
		return 0, ""
	})
	o := newObserved(t, srv)
	req, err := http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/v1/sessions/ses_123?token="+telAccess, nil)
	require.NoError(t, err)
	resp, err := o.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	call := o.named("mindpeeker GET")[0]
	assert.Equal(t, srv.URL+"/v1/sessions/ses_123", attrs(call.Attributes())["url.full"].AsString())
	assert.Len(t, o.named("GET"), 2)
	assert.Equal(t, int64(1), total(o.metrics(t), "mindpeeker.http.client.retries"))
}

// TestTelemetryGlobalProviderSetLater: with no provider in Config, a client
// made before the program sets the global providers records once they are.
func TestTelemetryGlobalProviderSetLater(t *testing.T) {
	srv := newAPIServer(t, nil)
	c, err := client.New(client.Config{BaseURL: srv.URL + "/v1", TokenURL: srv.URL + "/oauth2/token", ClientID: "cid", ClientSecret: telSecret})
	require.NoError(t, err)
	_, err = c.Sessions.Get(context.Background(), "ses_123")
	require.NoError(t, err)

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	_, err = c.Sessions.Get(context.Background(), "ses_123")
	require.NoError(t, err)
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	assert.Equal(t, []string{"GET", "mindpeeker GET"}, names)
}

// TestTelemetryCarriesNoSecret runs every path that handles a secret (client
// credentials, access and refresh tokens, an API key; renewals, a 401, a
// 429, a failure, a secret in a query) and scans every span name, status,
// attribute, event attribute and metric attribute for them.
func TestTelemetryCarriesNoSecret(t *testing.T) {
	srv := newAPIServer(t, func(n int, r *http.Request) (int, string) {
		switch n {
		case 1:
			return 401, ""
		case 2:
			return 429, "0"
		case 4:
			return 500, ""
		}
		return 0, ""
	})
	ctx := context.Background()
	bearer := newObserved(t, srv, func(c *client.Config) { c.MaxRetries = -1 })
	_, _ = bearer.Sessions.Get(ctx, "ses_123")
	_, _ = bearer.Sessions.Get(ctx, "ses_123")
	_, _ = bearer.Do(ctx, "GET", "/sessions/ses_123?api_key="+telAPIKey+"&token="+telAccess, nil, nil)
	keyed := newObserved(t, srv, func(c *client.Config) { c.ClientID, c.ClientSecret, c.APIKey = "", "", telAPIKey })
	_, _ = keyed.Sessions.Get(ctx, "ses_123")
	failing := newObserved(t, srv, func(c *client.Config) { c.TokenURL = srv.URL + "/missing?secret=" + telSecret })
	_, _ = failing.Sessions.Get(ctx, "ses_123")

	secrets := []string{telSecret, telAccess, telRefresh, telAPIKey}
	check := func(where, s string) {
		for _, secret := range secrets {
			assert.NotContains(t, s, secret, where)
		}
	}
	scanned := 0
	for _, o := range []*observed{bearer, keyed, failing} {
		for _, s := range o.spans.Ended() {
			check("span name", s.Name())
			check("span status", s.Status().Description)
			for _, kv := range s.Attributes() {
				check("span attribute "+string(kv.Key), kv.Value.String())
				scanned++
			}
			for _, ev := range s.Events() {
				check("event name", ev.Name)
				for _, kv := range ev.Attributes {
					check("event attribute "+string(kv.Key), kv.Value.String())
					scanned++
				}
			}
		}
		for _, sm := range o.metrics(t).ScopeMetrics {
			for _, m := range sm.Metrics {
				for _, p := range points(metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{m}}}}, m.Name) {
					for _, kv := range p.set.ToSlice() {
						check("metric attribute "+m.Name+" "+string(kv.Key), kv.Value.String())
						scanned++
					}
				}
			}
		}
		check("logs", o.logs.String())
	}
	assert.Greater(t, scanned, 100, "the scan saw the telemetry")
	assert.NotEmpty(t, failing.named("mindpeeker.token.renew"))
	assert.Equal(t, codes.Error, failing.named("mindpeeker.token.renew")[0].Status().Code)
}

// TestTelemetryPostCarriesIdempotencyKey: the key that makes a POST safe to
// retry is on the call's span and on every attempt's log line.
func TestTelemetryPostCarriesIdempotencyKey(t *testing.T) {
	var keys []string
	srv := newAPIServer(t, func(n int, r *http.Request) (int, string) {
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		if n == 1 {
			return 429, "0"
		}
		return 0, ""
	})
	o := newObserved(t, srv)
	_, err := o.Do(context.Background(), "POST", "/sessions", map[string]string{"title": "t"}, nil)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	require.NotEmpty(t, keys[0])
	call := o.named("mindpeeker POST")[0]
	assert.Equal(t, keys[0], attrs(call.Attributes())["mindpeeker.idempotency_key"].AsString())
	assert.Equal(t, 2, strings.Count(o.logs.String(), "idempotency_key="+keys[0]), o.logs.String())
}
