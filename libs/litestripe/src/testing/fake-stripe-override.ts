import type { FactoryProvider, InjectionToken, OptionalFactoryDependency, Provider } from '@nestjs/common';
import type { LitestripeModuleOptions } from '../config/litestripe-options.interface.js';
import { optionsProviders } from '../config/options.providers.js';
import { LITESTRIPE_RAW_OPTIONS } from '../config/raw-options.token.js';
import type { FakeStripe } from './fake-stripe/fake-stripe.server.js';

/**
 * What {@link withFakeStripe} needs of a testing module builder: `overrideProvider(...).useFactory(...)`.
 * `@nestjs/testing`'s `TestingModuleBuilder` is one (the kit does not depend on `@nestjs/testing`).
 */
export interface ProviderOverrides<B> {
  overrideProvider(token: any): { useFactory(options: { factory: (...args: any[]) => any; inject?: any[] }): B };
}

/**
 * Points the `LitestripeModule` of the module under test at a running {@link FakeStripe}, however the
 * host registered it (`forRoot`, `forRootAsync` with `useFactory`, `useClass` or `useExisting`, from
 * the environment or not): the options the host's registration yields are kept, except three,
 * rewritten before they are validated:
 * - `stripe.host`, `stripe.port`, `stripe.protocol`: the fake's address (`fake.clientConfig()`);
 * - `secretKey`: `fake.secretKey`, a test key the fake accepts;
 * - `webhookSecret`: `fake.webhookSecret`, so the webhook verifies the fake's deliveries; sign your
 *   own with it too (`signedDelivery(event, fake.webhookSecret)`).
 *
 * The module keeps its own Stripe client and rate limiter (`maxRequestsPerMinute`,
 * `rateLimitStorage`...), so a test exercises them as production does; nothing else is replaced.
 * The module's `clock` is left alone: to accept deliveries after `fake.advanceClock()`, give the
 * module a clock that follows the fake's (see the README).
 *
 * @returns the builder, to chain `.compile()` (or more overrides) on.
 *
 * @example
 * const fake = await FakeStripe.start();
 * const moduleRef = await withFakeStripe(Test.createTestingModule({ imports: [AppModule] }), fake).compile();
 * const app = moduleRef.createNestApplication({ rawBody: true });
 * await app.init();
 */
export function withFakeStripe<B extends ProviderOverrides<B>>(builder: B, fake: FakeStripe): B {
  let overridden = builder;
  let count = 0;
  for (const provider of optionsProviders) {
    if (!readsRawOptions(provider)) continue;
    const { provide, useFactory } = provider;
    const inject = provider.inject;
    overridden = overridden.overrideProvider(provide).useFactory({
      inject,
      factory: (...args: unknown[]) => useFactory(...args.map((arg, i) => (inject[i] === LITESTRIPE_RAW_OPTIONS ? pointAtFakeStripe(arg, fake) : arg))),
    });
    count++;
  }
  // A guard against a refactoring that moves the options elsewhere: the test would silently reach real Stripe.
  if (count === 0) throw new Error('withFakeStripe: the module has no options provider reading the raw options; the kit needs updating.');
  return overridden;
}

type RawOptionsReader = FactoryProvider & { inject: (InjectionToken | OptionalFactoryDependency)[] };

function readsRawOptions(provider: Provider): provider is RawOptionsReader {
  return typeof provider === 'object' && 'useFactory' in provider && (provider.inject ?? []).includes(LITESTRIPE_RAW_OPTIONS);
}

/** The host's options, pointed at `fake` (see {@link withFakeStripe}); anything but an object is left to validation to refuse. */
function pointAtFakeStripe(raw: unknown, fake: FakeStripe): unknown {
  if (!raw || typeof raw !== 'object') return raw;
  const options = raw as LitestripeModuleOptions;
  return {
    ...options,
    secretKey: fake.secretKey,
    webhookSecret: fake.webhookSecret,
    stripe: { ...options.stripe, ...fake.clientConfig() },
  } satisfies LitestripeModuleOptions;
}
