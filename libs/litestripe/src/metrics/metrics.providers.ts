import { Provider } from '@nestjs/common';
import type { Meter } from '@opentelemetry/api';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { globalMeterProvider } from './global-meter-provider.js';
import { LitestripeMetrics } from './litestripe-metrics.js';
import { OpenTelemetryMetrics } from './open-telemetry.metrics.js';

/** The meter's name: the instrumentation scope exporters show beside the instruments. */
const METER_NAME = '@litestripe/nestjs';

/** `LitestripeMetrics`: empty calls unless `metrics.enabled`, then OpenTelemetry instruments on the given or the global MeterProvider. */
export const metricsProvider: Provider = {
  provide: LitestripeMetrics,
  inject: [LITESTRIPE_OPTIONS],
  useFactory: async ({ metrics }: ResolvedLitestripeOptions): Promise<LitestripeMetrics> => {
    if (!metrics.enabled) return new LitestripeMetrics();
    const meterProvider = metrics.meterProvider ?? (await globalMeterProvider());
    return new OpenTelemetryMetrics(meterProvider.getMeter(METER_NAME) as Meter, metrics.prefix);
  },
};
