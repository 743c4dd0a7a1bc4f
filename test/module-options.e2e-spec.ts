import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  BillingService,
  getStripeClientToken,
  InjectStripeClient,
  LitestripeModule,
  LitestripeModuleOptions,
  litestripeOptionsFromEnv,
  SubscriptionService,
} from '@litestripe/nestjs';
import { buildStripeEvent, signedDelivery, stripeId } from '@litestripe/nestjs/testing';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import request from 'supertest';
import { CapturingLogger, closeOpenedDataSources, compileHost, createHostApp, HostApp } from './support/module-boot';
import { storedCounts } from './support/raw-webhook';
import { SubscriptionScenario } from './support/scenario';
import { Adapter, createTestApp, Registration, TestApp, WEBHOOK_SECRET } from './support/test-app';

/**
 * How the module is configured: start-up refuses bad options with a message that names the
 * option and never echoes a secret; `webhookPath`, `isGlobal` and the env factory do what they say.
 */

const VALID: LitestripeModuleOptions = {
  secretKey: 'sk_test_51ValidSecretKeyForBootTests000000',
  webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
  webhookSecret: 'whsec_validbootsecretdddddddddddddddddddddd',
};

function register(registration: Registration, options: Partial<Record<keyof LitestripeModuleOptions, unknown>>, extras: { isGlobal?: boolean; webhookPath?: string } = {}) {
  const merged = { ...VALID, ...options } as LitestripeModuleOptions;
  return registration === 'forRoot'
    ? LitestripeModule.forRoot({ ...merged, ...extras })
    : LitestripeModule.forRootAsync({ useFactory: async () => merged, ...extras });
}

describe.each(['forRoot', 'forRootAsync'] as Registration[])('start-up validation with %s', (registration) => {
  afterEach(() => closeOpenedDataSources());

  it('boots with valid options, its webhook verifying at their UUID with their secret and the default tolerance of 300 s (control)', async () => {
    const host = await createHostApp(register(registration, {}));
    try {
      const post = async (secondsAgo: number) => {
        const event = buildStripeEvent('charge.succeeded', { id: stripeId('ch'), object: 'charge' });
        const { body, headers } = await signedDelivery(event, VALID.webhookSecret as string, Math.floor(Date.now() / 1000) - secondsAgo);
        return request(host.app.getHttpServer()).post(`/ls/hook/${VALID.webhookUuid}`).set(headers).send(body);
      };
      expect((await post(0)).body).toEqual({ received: true, outcome: 'ignored' });
      expect((await post(290)).status).toBe(200);
      expect((await post(310)).status).toBe(400);
    } finally {
      await host.close();
    }
  });

  const cases: [string, Partial<Record<keyof LitestripeModuleOptions, unknown>>, string, RegExp, string[]][] = [
    ['a missing secretKey', { secretKey: undefined }, 'secretKey', /is missing/, []],
    ['a publishable key given as secretKey', { secretKey: 'pk_test_51PublishableLooksSecret7Hq2Xz' }, 'secretKey', /is malformed/, ['pk_test_51PublishableLooksSecret7Hq2Xz', '51PublishableLooksSecret']],
    ['a secretKey with a trailing newline', { secretKey: 'sk_live_51RealLookingSecretKey9Wq3\n' }, 'secretKey', /is malformed/, ['sk_live_51RealLookingSecretKey9Wq3', '51RealLookingSecretKey']],
    ['a secret key given as publishableKey', { publishableKey: 'sk_live_51SecretInThePublicSlot8Zt' }, 'publishableKey', /is malformed/, ['sk_live_51SecretInThePublicSlot8Zt', '51SecretInThePublicSlot']],
    ['a missing webhookUuid', { webhookUuid: '' }, 'webhookUuid', /is missing/, []],
    ['a malformed webhookUuid', { webhookUuid: 'hook-7d1e4b8e9a430d5e' }, 'webhookUuid', /is malformed/, ['hook-7d1e4b8e9a430d5e']],
    ['a missing webhookSecret', { webhookSecret: undefined }, 'webhookSecret', /is missing/, []],
    ['an empty webhookSecret list', { webhookSecret: [] }, 'webhookSecret', /is missing/, []],
    ['a malformed webhookSecret', { webhookSecret: 'whsec-TypoedSecretValue42' }, 'webhookSecret', /is malformed/, ['whsec-TypoedSecretValue42', 'TypoedSecretValue42']],
    [
      'one bad entry in a webhookSecret list',
      { webhookSecret: ['whsec_goodrotationsecreteeeeeeeeeeeeeeeeee', 'whsec_bad secret with space'] },
      'webhookSecret[1]',
      /is malformed/,
      ['whsec_goodrotationsecreteeeeeeeeeeeeeeeeee', 'goodrotationsecret', 'bad secret with space'],
    ],
    ['a fractional webhookToleranceSeconds', { webhookToleranceSeconds: 1.5 }, 'webhookToleranceSeconds', /whole number/, []],
    ['a string webhookToleranceSeconds', { webhookToleranceSeconds: '300' }, 'webhookToleranceSeconds', /whole number/, []],
    ['a zero webhookToleranceSeconds (would disable replay protection)', { webhookToleranceSeconds: 0 }, 'webhookToleranceSeconds', /positive whole number/, []],
    ['a clock whose now() returns epoch milliseconds', { clock: { now: () => 1_800_000_000_000 } }, 'clock', /now\(\) must return a valid Date/, []],
  ];

  it.each(cases)('refuses %s, naming the option and not echoing the value', async (_, options, option, problem, hidden) => {
    const logger = new CapturingLogger();
    const boot = compileHost(register(registration, options), { logger });
    const error: Error = await boot.then(
      () => {
        throw new Error('expected the boot to fail');
      },
      (e: Error) => e,
    );
    expect(error.name).toBe('LitestripeConfigError');
    expect(error.message).toContain(`Litestripe option "${option}"`);
    expect(error.message).toMatch(problem);
    const everything = `${error.message}\n${error.stack}\n${logger.text()}`;
    for (const value of [...hidden, VALID.secretKey, VALID.webhookSecret as string]) expect(everything).not.toContain(value);
  });

  it('refuses to start without EventEmitterModule, saying to add EventEmitterModule.forRoot()', async () => {
    await expect(compileHost(register(registration, {}), { eventEmitter: false })).rejects.toThrow(/EventEmitterModule\.forRoot\(\)/);
  });
});

describe.each([
  ['express', 'forRoot'],
  ['express', 'forRootAsync'],
  ['fastify', 'forRoot'],
  ['fastify', 'forRootAsync'],
] as [Adapter, Registration][])('custom webhookPath over %s with %s', (adapter, registration) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ adapter, registration, webhookPath: 'billing/stripe' });
  });
  afterAll(() => t?.close());

  it('serves the webhook at /billing/stripe/<uuid> and not at /ls/hook/<uuid>', async () => {
    expect(t.webhookUrl).toBe(`/billing/stripe/${t.uuid}`);
    const event = new SubscriptionScenario().subscription('created', { status: 'active' }, t.clock.seconds());
    const { body, headers } = await signedDelivery(event, WEBHOOK_SECRET, t.clock.seconds());

    const old = await request(t.app.getHttpServer()).post(`/ls/hook/${t.uuid}`).set(headers).send(body);
    expect(old.status).toBe(404);
    expect(await storedCounts(t.dataSource)).toEqual({ events: 0, subscriptions: 0, orphans: 0 });

    const res = await request(t.app.getHttpServer()).post(`/billing/stripe/${t.uuid}`).set(headers).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: 'processed' });
    expect(await storedCounts(t.dataSource)).toEqual({ events: 1, subscriptions: 1, orphans: 0 });
  });
});

@Injectable()
class BillingConsumer {
  constructor(
    readonly subscriptions: SubscriptionService,
    readonly billing: BillingService,
    @InjectStripeClient() readonly stripe: Stripe,
  ) {}
}

/** A feature module that does not import LitestripeModule. */
@Module({ providers: [BillingConsumer], exports: [BillingConsumer] })
class BillingFeatureModule {}

describe.each(['forRoot', 'forRootAsync'] as Registration[])('isGlobal with %s', (registration) => {
  afterEach(() => closeOpenedDataSources());

  it('makes the services and the Stripe client injectable in a module that does not import LitestripeModule', async () => {
    const moduleRef = await compileHost(register(registration, {}, { isGlobal: true }), { imports: [BillingFeatureModule] });
    const consumer = moduleRef.get(BillingConsumer);
    expect(consumer.subscriptions).toBeInstanceOf(SubscriptionService);
    expect(consumer.billing).toBeInstanceOf(BillingService);
    expect(consumer.stripe).toBe(moduleRef.get(getStripeClientToken()));
    expect(consumer.stripe.subscriptions.retrieve).toEqual(expect.any(Function));
    await moduleRef.close();
  });

  it('without isGlobal, the same feature module cannot resolve them (control)', async () => {
    await expect(compileHost(register(registration, {}), { imports: [BillingFeatureModule] })).rejects.toThrow(/BillingConsumer/);
  });
});

/** The values each variable gives the module are checked next to the factory (libs/litestripe/src/config/env-options.config-service.spec.ts). */
describe('litestripeOptionsFromEnv with @nestjs/config ConfigService', () => {
  const SECRET_A = 'whsec_fromconfigservicefirstaaaaaaaaaaaaa';
  const SECRET_B = 'whsec_fromconfigservicesecondbbbbbbbbbbbb';
  const uuid = randomUUID();
  let host: HostApp;

  beforeAll(async () => {
    const env = {
      STRIPE_SECRET_KEY: 'sk_test_51FromConfigService00000000',
      STRIPE_PUBLIC_KEY: 'pk_test_51FromConfigService00000000',
      STRIPE_WEBHOOK_UUID: uuid,
      STRIPE_WEBHOOK_SECRET: ` ${SECRET_A} , ${SECRET_B},`,
      LITESTRIPE_MAX_REQUESTS_PER_MINUTE: '120',
      LITESTRIPE_API_RATE_LIMIT_CACHE_KEY: 'billing_rate_limit',
    };
    host = await createHostApp(
      LitestripeModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, skipProcessEnv: true, load: [() => env] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => litestripeOptionsFromEnv(config),
      }),
    );
  });
  afterAll(() => host?.close());

  it('verifies deliveries signed with either secret, and refuses a third', async () => {
    const post = async (secret: string) => {
      const event = buildStripeEvent('charge.succeeded', { id: stripeId('ch'), object: 'charge' });
      const { body, headers } = await signedDelivery(event, secret);
      return request(host.app.getHttpServer()).post(`/ls/hook/${uuid}`).set(headers).send(body);
    };
    expect((await post(SECRET_A)).body).toEqual({ received: true, outcome: 'ignored' });
    expect((await post(SECRET_B)).body).toEqual({ received: true, outcome: 'ignored' });
    const third = await post(WEBHOOK_SECRET);
    expect(third.status).toBe(400);
    expect(await storedCounts(host.dataSource)).toEqual({ events: 2, subscriptions: 0, orphans: 0 });
  });
});
