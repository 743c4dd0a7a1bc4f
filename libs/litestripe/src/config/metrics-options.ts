import type { MetricsOptions } from './metrics-options.interface.js';

/** The `metrics` option after validation, with every default filled in. */
export interface ResolvedMetricsOptions {
  enabled: boolean;
  /** Null: the global MeterProvider, read when the module starts. */
  meterProvider: Required<MetricsOptions>['meterProvider'] | null;
  prefix: string;
}

export const METRICS_DEFAULTS = { enabled: false, prefix: 'litestripe' } as const;
