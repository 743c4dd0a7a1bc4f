import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import type { MetricsOptions } from './metrics-options.interface.js';
import { METRICS_DEFAULTS, ResolvedMetricsOptions } from './metrics-options.js';

const KNOWN = ['enabled', 'meterProvider', 'prefix'];
/** OpenTelemetry's instrument name syntax, leaving room for the longest name after the prefix. */
const PREFIX = /^[A-Za-z][A-Za-z0-9_./-]{0,199}$/;

/** Checks the `metrics` option and fills in defaults. */
export function resolveMetricsOptions(raw: MetricsOptions | undefined): ResolvedMetricsOptions {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    fail('metrics', 'must be an object', 'Write metrics: { enabled: true }, or leave it out.');
  }
  const given = raw ?? {};
  const unknown = Object.keys(given).find((key) => !KNOWN.includes(key));
  if (unknown) fail(`metrics.${unknown}`, 'is not an option', `Known: ${KNOWN.join(', ')}.`);
  return { enabled: enabled(given.enabled), meterProvider: meterProvider(given.meterProvider), prefix: prefix(given.prefix) };
}

function enabled(value: unknown): boolean {
  if (value === undefined) return METRICS_DEFAULTS.enabled;
  if (typeof value !== 'boolean') fail('metrics.enabled', `must be true or false (got ${JSON.stringify(value)})`, 'Leave it out to record no metrics.');
  return value;
}

function meterProvider(value: unknown): ResolvedMetricsOptions['meterProvider'] {
  if (value === undefined) return null;
  if (typeof (value as { getMeter?: unknown } | null)?.getMeter !== 'function') {
    fail('metrics.meterProvider', 'must be an OpenTelemetry MeterProvider (it has no getMeter())', "Give the SDK's MeterProvider, or leave it out for the global one.");
  }
  return value as ResolvedMetricsOptions['meterProvider'];
}

function prefix(value: unknown): string {
  if (value === undefined) return METRICS_DEFAULTS.prefix;
  if (typeof value !== 'string' || !PREFIX.test(value) || value.endsWith('.')) {
    fail(
      'metrics.prefix',
      `is not an instrument name prefix (got ${JSON.stringify(value)})`,
      `Use a letter, then up to 199 letters, digits, '_', '.', '-' or '/', not ending in '.'. Leave it out for '${METRICS_DEFAULTS.prefix}'.`,
    );
  }
  return value;
}

function fail(option: string, problem: string, remedy: string): never {
  throw new LitestripeConfigError(option, problem, remedy);
}
