import { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { resolveMetricsOptions } from './metrics-options.validator.js';

describe('the metrics option', () => {
  it('defaults: off, the global MeterProvider, names under litestripe', () => {
    expect(resolveMetricsOptions(undefined)).toEqual({ enabled: false, meterProvider: null, prefix: 'litestripe' });
    expect(resolveMetricsOptions({})).toEqual({ enabled: false, meterProvider: null, prefix: 'litestripe' });
  });

  it('takes a MeterProvider of the SDK and a prefix', () => {
    const meterProvider = new SdkMeterProvider();
    expect(resolveMetricsOptions({ enabled: true, meterProvider, prefix: 'billing.stripe' })).toEqual({ enabled: true, meterProvider, prefix: 'billing.stripe' });
  });

  it.each([
    ['metrics', 'on', 'must be an object'],
    ['metrics', [true], 'must be an object'],
    ['metrics.enable', { enable: true }, 'is not an option'],
    ['metrics.enabled', { enabled: 'true' }, 'must be true or false'],
    ['metrics.meterProvider', { meterProvider: {} }, 'must be an OpenTelemetry MeterProvider'],
    ['metrics.meterProvider', { meterProvider: null }, 'must be an OpenTelemetry MeterProvider'],
    ['metrics.prefix', { prefix: '' }, 'is not an instrument name prefix'],
    ['metrics.prefix', { prefix: '1st' }, 'is not an instrument name prefix'],
    ['metrics.prefix', { prefix: 'my app' }, 'is not an instrument name prefix'],
    ['metrics.prefix', { prefix: 'app.' }, 'is not an instrument name prefix'],
    ['metrics.prefix', { prefix: 'a'.repeat(201) }, 'is not an instrument name prefix'],
  ])('refuses %s: %j', (option, given, problem) => {
    const attempt = () => resolveMetricsOptions(given as never);
    expect(attempt).toThrow(LitestripeConfigError);
    expect(attempt).toThrow(new RegExp(`"${option.replace(/\./g, '\\.')}" ${problem}`));
  });
});
