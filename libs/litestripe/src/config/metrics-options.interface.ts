/**
 * Metrics through OpenTelemetry's metrics API (the optional peer `@opentelemetry/api`): webhook
 * events by outcome, apply and dispatch durations, outbox and inbox lag, Stripe API calls, waits
 * for the rate limiter, guard decisions. Off unless `enabled`; the package is loaded only then.
 *
 * @example
 * metrics: { enabled: true } // the global MeterProvider, registered by the host's OpenTelemetry SDK
 */
export interface MetricsOptions {
  /** Record metrics. Off, every instrumentation point is an empty call and `@opentelemetry/api` is never loaded. @default false */
  enabled?: boolean;

  /**
   * Where the instruments are created: an OpenTelemetry `MeterProvider` (typed by its one method
   * here, so that hosts without the optional package still type-check). The global one is read
   * once, at start-up: start the host's OpenTelemetry SDK before the app.
   * @default the global one, `metrics.getMeterProvider()` of `@opentelemetry/api`
   */
  meterProvider?: { getMeter(name: string, version?: string, options?: { schemaUrl?: string }): object };

  /** First part of every instrument's name (`<prefix>.webhook.events`). @default 'litestripe' */
  prefix?: string;
}
