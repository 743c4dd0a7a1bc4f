import { ConfigModule, ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { closeOpenedDataSources, compileHost } from '../../../../test/support/module-boot';
import { LitestripeModule } from '../litestripe.module.js';
import { litestripeOptionsFromEnv } from './env-options.factory.js';
import { LITESTRIPE_OPTIONS, type ResolvedLitestripeOptions } from './resolved-options.js';

/**
 * `litestripeOptionsFromEnv` behind a real `@nestjs/config` ConfigService, through
 * `LitestripeModule.forRootAsync`: every variable reaches the validated options. (Moved from
 * test/module-options.e2e-spec.ts, which checks what a host observes of them: the webhook's UUID
 * and secrets. The resolved options are not part of the API.)
 */
describe('litestripeOptionsFromEnv with @nestjs/config ConfigService, into the module', () => {
  afterAll(() => closeOpenedDataSources());

  it('reads every variable, splitting the comma-separated STRIPE_WEBHOOK_SECRET', async () => {
    const uuid = randomUUID();
    const env = {
      STRIPE_SECRET_KEY: 'sk_test_51FromConfigService00000000',
      STRIPE_PUBLIC_KEY: 'pk_test_51FromConfigService00000000',
      STRIPE_WEBHOOK_UUID: uuid,
      STRIPE_WEBHOOK_SECRET: ' whsec_fromconfigservicefirstaaaaaaaaaaaaa , whsec_fromconfigservicesecondbbbbbbbbbbbb,',
      LITESTRIPE_MAX_REQUESTS_PER_MINUTE: '120',
      LITESTRIPE_API_RATE_LIMIT_CACHE_KEY: 'billing_rate_limit',
    };
    const moduleRef = await compileHost(
      LitestripeModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, skipProcessEnv: true, load: [() => env] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => litestripeOptionsFromEnv(config),
      }),
    );
    try {
      expect(moduleRef.get<ResolvedLitestripeOptions>(LITESTRIPE_OPTIONS)).toMatchObject({
        secretKey: 'sk_test_51FromConfigService00000000',
        publishableKey: 'pk_test_51FromConfigService00000000',
        webhookUuid: uuid,
        webhookSecrets: ['whsec_fromconfigservicefirstaaaaaaaaaaaaa', 'whsec_fromconfigservicesecondbbbbbbbbbbbb'],
        maxRequestsPerMinute: 120,
        rateLimitCacheKey: 'billing_rate_limit',
      });
    } finally {
      await moduleRef.close();
    }
  });
});
