package client

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// telemetry is the engine's instrumentation for cfg's providers; nil when
// they record nothing.
func (cfg Config) telemetry() *transport.Telemetry {
	return transport.NewTelemetry(cfg.TracerProvider, cfg.MeterProvider, Version)
}

// tracerProvider is the provider of the Source's token spans: cfg's, else
// the global one (which forwards to a provider set later). Token requests are
// rare, so they need no check for a no-op provider.
func (cfg Config) tracerProvider() trace.TracerProvider {
	if cfg.TracerProvider != nil {
		return cfg.TracerProvider
	}
	return otel.GetTracerProvider()
}

// meterProvider is tracerProvider's counterpart for metrics.
func (cfg Config) meterProvider() metric.MeterProvider {
	if cfg.MeterProvider != nil {
		return cfg.MeterProvider
	}
	return otel.GetMeterProvider()
}
