import type { MeterProvider } from '@opentelemetry/api';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';

const OPEN_TELEMETRY_API = '@opentelemetry/api';

/**
 * The MeterProvider registered globally with `@opentelemetry/api` (its no-op one when no SDK
 * registered any). The package is an optional peer: it is imported here, when metrics are on and
 * no `meterProvider` was given, and nowhere else. A dynamic `import()` loads it from the ES module
 * build and from CommonJS alike. `specifier` is the package's name, for tests.
 */
export async function globalMeterProvider(specifier = OPEN_TELEMETRY_API): Promise<MeterProvider> {
  let api: typeof import('@opentelemetry/api');
  try {
    api = await import(specifier);
  } catch (error) {
    if (!isMissing(error, specifier)) throw error;
    throw new LitestripeConfigError(
      'metrics.enabled',
      `needs the package ${specifier}, which is not installed`,
      `Run \`npm install ${specifier}\` (with an OpenTelemetry SDK to export the metrics), or give metrics.meterProvider, or leave metrics off.`,
    );
  }
  return api.metrics.getMeterProvider();
}

/** Node's "not found" of this very package (ES modules and CommonJS), not of something it imports. */
function isMissing(error: unknown, specifier: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${specifier}'`);
}
