import { metrics } from '@opentelemetry/api';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { globalMeterProvider } from './global-meter-provider.js';

describe('the global MeterProvider', () => {
  it('is the one @opentelemetry/api holds', async () => {
    expect(await globalMeterProvider()).toBe(metrics.getMeterProvider());
  });

  it('when the package is not installed, stops start-up saying what to install', async () => {
    await expect(globalMeterProvider('@opentelemetry/api-not-installed')).rejects.toThrow(LitestripeConfigError);
    await expect(globalMeterProvider('@opentelemetry/api-not-installed')).rejects.toThrow(
      /"metrics.enabled" needs the package @opentelemetry\/api-not-installed, which is not installed\. Run `npm install @opentelemetry\/api-not-installed`/,
    );
  });
});
