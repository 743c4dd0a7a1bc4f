import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvSource, envSource, litestripeOptionsFromEnv, readWebhookSecretFile } from './env-options.factory.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { validateOptions } from './validate-options.js';

const BASE = {
  STRIPE_SECRET_KEY: 'sk_test_51EnvSecretKey',
  STRIPE_WEBHOOK_UUID: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
};

/** An EnvSource over a plain object, as a ConfigService with `load` would be. */
function source(values: Record<string, unknown>): EnvSource {
  return { get: <T>(name: string) => values[name] as T | undefined };
}

/** Settles `promise` into what happened and when, without an unhandled rejection. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown; at?: number } = { settled: false };
  const done = promise.then(
    (value) => Object.assign(state, { settled: true, value, at: Date.now() }),
    (error) => Object.assign(state, { settled: true, error, at: Date.now() }),
  );
  return { state, done };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('envSource', () => {
  it('reads a plain environment object', () => {
    const env = envSource({ STRIPE_SECRET_KEY: 'sk_test_x' });
    expect(env.get('STRIPE_SECRET_KEY')).toBe('sk_test_x');
    expect(env.get('MISSING')).toBeUndefined();
  });
});

describe('litestripeOptionsFromEnv', () => {
  it('maps every variable to its option', async () => {
    const options = await litestripeOptionsFromEnv(
      source({
        ...BASE,
        STRIPE_PUBLIC_KEY: 'pk_test_51Env',
        STRIPE_WEBHOOK_SECRET: 'whsec_one',
        LITESTRIPE_MAX_REQUESTS_PER_MINUTE: '120',
        LITESTRIPE_API_RATE_LIMIT_CACHE_KEY: 'billing_rl',
        LITESTRIPE_WEBHOOK_PROCESSING: 'deferred',
      }),
    );
    expect(options).toEqual({
      secretKey: 'sk_test_51EnvSecretKey',
      publishableKey: 'pk_test_51Env',
      webhookUuid: BASE.STRIPE_WEBHOOK_UUID,
      webhookSecret: ['whsec_one'],
      maxRequestsPerMinute: 120,
      rateLimitCacheKey: 'billing_rl',
      webhookProcessing: 'deferred',
    });
    expect(() => validateOptions(options)).not.toThrow();
  });

  it('splits a comma-separated STRIPE_WEBHOOK_SECRET, trimming spaces and dropping empty entries', async () => {
    const options = await litestripeOptionsFromEnv(source({ ...BASE, STRIPE_WEBHOOK_SECRET: ' whsec_old , whsec_new,, ' }));
    expect(options.webhookSecret).toEqual(['whsec_old', 'whsec_new']);
  });

  it('trims values and treats blank ones as unset', async () => {
    const options = await litestripeOptionsFromEnv(source({ ...BASE, STRIPE_SECRET_KEY: '  sk_test_51Padded \n', STRIPE_PUBLIC_KEY: '   ', LITESTRIPE_MAX_REQUESTS_PER_MINUTE: '' }));
    expect(options.secretKey).toBe('sk_test_51Padded');
    expect(options.publishableKey).toBeUndefined();
    expect(options.maxRequestsPerMinute).toBeUndefined();
    expect(options.webhookSecret).toEqual([]);
  });

  it('accepts numbers from a ConfigService that parsed them', async () => {
    const options = await litestripeOptionsFromEnv(source({ ...BASE, STRIPE_WEBHOOK_SECRET: 'whsec_a', LITESTRIPE_MAX_REQUESTS_PER_MINUTE: 90 }));
    expect(options.maxRequestsPerMinute).toBe(90);
  });

  it.each(['abc', '1.5', '-3', '12 per minute'])('refuses LITESTRIPE_MAX_REQUESTS_PER_MINUTE=%j, naming the variable', async (value) => {
    const error = await litestripeOptionsFromEnv(source({ ...BASE, LITESTRIPE_MAX_REQUESTS_PER_MINUTE: value })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as LitestripeConfigError).option).toBe('LITESTRIPE_MAX_REQUESTS_PER_MINUTE');
  });

  it('lets overrides win over the environment', async () => {
    const options = await litestripeOptionsFromEnv(source({ ...BASE, STRIPE_WEBHOOK_SECRET: 'whsec_env' }), { webhookSecret: 'whsec_override', metadataKeys: ['plan'] });
    expect(options).toMatchObject({ webhookSecret: 'whsec_override', metadataKeys: ['plan'], secretKey: BASE.STRIPE_SECRET_KEY });
  });

  describe('STRIPE_WEBHOOK_SECRET_FILE', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'litestripe-secret-'));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('waits for the file the Stripe CLI writes later, and reads the secret out of its output', async () => {
      const file = join(dir, 'webhook-secret');
      const started = Date.now();
      const { state, done } = track(litestripeOptionsFromEnv(source({ ...BASE, STRIPE_WEBHOOK_SECRET_FILE: file, STRIPE_WEBHOOK_SECRET_FILE_WAIT_SECONDS: '5' })));

      let writtenAt = 0;
      const written = new Promise<void>((resolve, reject) =>
        setTimeout(() => {
          writtenAt = Date.now();
          writeFile(file, '> Ready! Your webhook signing secret is whsec_fromcli+/=123 (^C to quit)\n').then(resolve, reject);
        }, 500),
      );

      await sleep(350);
      expect(state.settled).toBe(false);
      await Promise.all([written, done]);

      expect(state.error).toBeUndefined();
      expect(state.value!.webhookSecret).toEqual(['whsec_fromcli+/=123']);
      expect(state.at!).toBeGreaterThanOrEqual(writtenAt);
      expect(state.at! - started).toBeLessThan(5000);
    });

    it('keeps waiting while the file exists but holds no secret yet', async () => {
      const file = join(dir, 'webhook-secret');
      await writeFile(file, '');
      const { state, done } = track(readWebhookSecretFile(file, 3000, 50));
      await sleep(200);
      expect(state.settled).toBe(false);
      await writeFile(file, 'whsec_arrived\n');
      await done;
      expect(state.value).toBe('whsec_arrived');
    });

    it('prefers STRIPE_WEBHOOK_SECRET and never reads the file then', async () => {
      const options = await litestripeOptionsFromEnv(source({ ...BASE, STRIPE_WEBHOOK_SECRET: 'whsec_direct', STRIPE_WEBHOOK_SECRET_FILE: join(dir, 'never-written') }));
      expect(options.webhookSecret).toEqual(['whsec_direct']);
    });

    it('gives up after STRIPE_WEBHOOK_SECRET_FILE_WAIT_SECONDS with an error that names the variable and the path', async () => {
      const file = join(dir, 'never-written');
      const started = Date.now();
      const error = await litestripeOptionsFromEnv(source({ ...BASE, STRIPE_WEBHOOK_SECRET_FILE: file, STRIPE_WEBHOOK_SECRET_FILE_WAIT_SECONDS: '1' })).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(LitestripeConfigError);
      expect((error as LitestripeConfigError).option).toBe('STRIPE_WEBHOOK_SECRET_FILE');
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toMatch(/after 1 s/);
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(3000);
    });

    it('refuses a non-numeric STRIPE_WEBHOOK_SECRET_FILE_WAIT_SECONDS', async () => {
      const error = await litestripeOptionsFromEnv(source({ ...BASE, STRIPE_WEBHOOK_SECRET_FILE: join(dir, 'x'), STRIPE_WEBHOOK_SECRET_FILE_WAIT_SECONDS: 'soon' })).catch((e: unknown) => e);
      expect((error as LitestripeConfigError).option).toBe('STRIPE_WEBHOOK_SECRET_FILE_WAIT_SECONDS');
    });

    it('does not put a secret the file holds into the timeout error', async () => {
      const file = join(dir, 'not-a-secret');
      await writeFile(file, 'sk_live_51ThisShouldNeverBeEchoed\n');
      const error = (await readWebhookSecretFile(file, 200, 50).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(LitestripeConfigError);
      expect(error.message).not.toContain('sk_live_51ThisShouldNeverBeEchoed');
    });
  });
});

describe('STRIPE_API_BASE', () => {
  const base = { ...BASE, STRIPE_WEBHOOK_SECRET: 'whsec_a' };

  it('is left out when unset: stripe-node talks to Stripe', async () => {
    const options = await litestripeOptionsFromEnv(source(base));
    expect(options).not.toHaveProperty('stripe');
  });

  it.each([
    ['http://127.0.0.1:12111', { protocol: 'http', host: '127.0.0.1', port: 12111 }],
    ['https://api.stripe.com', { protocol: 'https', host: 'api.stripe.com', port: 443 }],
    ['http://stripe-mock/', { protocol: 'http', host: 'stripe-mock', port: 80 }],
    ['  http://[::1]:8420  ', { protocol: 'http', host: '::1', port: 8420 }],
  ])('reads %j into stripe: { protocol, host, port }', async (value, expected) => {
    const options = await litestripeOptionsFromEnv(source({ ...base, STRIPE_API_BASE: value }));
    expect(options.stripe).toEqual(expected);
    expect(validateOptions(options).stripe).toEqual(expected);
  });

  it('merges a stripe override over it, the override winning', async () => {
    const options = await litestripeOptionsFromEnv(source({ ...base, STRIPE_API_BASE: 'http://127.0.0.1:12111' }), { stripe: { timeout: 5000, port: 9999 } });
    expect(options.stripe).toEqual({ protocol: 'http', host: '127.0.0.1', port: 9999, timeout: 5000 });
  });

  it('keeps a stripe override when unset', async () => {
    const options = await litestripeOptionsFromEnv(source(base), { stripe: { timeout: 5000 } });
    expect(options.stripe).toEqual({ timeout: 5000 });
  });

  it.each([
    ['127.0.0.1:12111', /must be an http:\/\/ or https:\/\/ URL/],
    ['localhost:12111', /must be an http:\/\/ or https:\/\/ URL/],
    ['not a url', /must be an http:\/\/ or https:\/\/ URL/],
    ['ftp://127.0.0.1', /must be an http:\/\/ or https:\/\/ URL/],
    ['http://127.0.0.1:12111/v1', /no path, query or fragment/],
    ['http://127.0.0.1:12111?x=1', /no path, query or fragment/],
    ['https://user:sk_live_51Secret@api.stripe.com', /must not hold credentials/],
  ])('refuses %j with a LitestripeConfigError naming the variable', async (value, message) => {
    const error = await litestripeOptionsFromEnv(source({ ...base, STRIPE_API_BASE: value })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as LitestripeConfigError).option).toBe('STRIPE_API_BASE');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('sk_live_51Secret');
  });
});
