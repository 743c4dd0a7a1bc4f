import { readFile } from 'node:fs/promises';
import { LitestripeModuleOptions } from './litestripe-options.interface.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { monotonicMs } from '../common/clock.js';

/** Anything with `get(name)`: `@nestjs/config`'s `ConfigService`, or `envSource(process.env)`. */
export interface EnvSource {
  get<T = string>(name: string): T | undefined;
}

/** Adapts a plain environment object (such as `process.env`) to {@link EnvSource}. */
export function envSource(env: NodeJS.ProcessEnv = process.env): EnvSource {
  return { get: <T>(name: string) => env[name] as T | undefined };
}

/**
 * Builds the module options from the variable names of the Django original, for `forRootAsync`:
 * `STRIPE_SECRET_KEY`, `STRIPE_PUBLIC_KEY`, `STRIPE_WEBHOOK_UUID`, `STRIPE_WEBHOOK_SECRET`
 * (comma-separated for several), `STRIPE_WEBHOOK_SECRET_FILE` (waited for up to
 * `STRIPE_WEBHOOK_SECRET_FILE_WAIT_SECONDS`, default 20, as when the Stripe CLI container writes it),
 * `LITESTRIPE_MAX_REQUESTS_PER_MINUTE`, `LITESTRIPE_API_RATE_LIMIT_CACHE_KEY` and
 * `LITESTRIPE_WEBHOOK_PROCESSING` (`inline` or `deferred`); and
 * `STRIPE_API_BASE`, where the Stripe API is served (`http://127.0.0.1:12111` for a fake Stripe or
 * stripe-mock; unset: Stripe itself), read into `stripe: { protocol, host, port }`. A `stripe` given
 * in `overrides` is merged over it.
 *
 * @example
 * LitestripeModule.forRootAsync({
 *   imports: [ConfigModule], inject: [ConfigService],
 *   useFactory: (config: ConfigService) => litestripeOptionsFromEnv(config),
 * })
 */
export async function litestripeOptionsFromEnv(
  env: EnvSource = envSource(),
  overrides: Partial<LitestripeModuleOptions> = {},
): Promise<LitestripeModuleOptions> {
  const text = (name: string) => {
    const value = env.get<string>(name);
    return value === undefined || value === null || String(value).trim() === '' ? undefined : String(value).trim();
  };
  const integer = (name: string) => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new LitestripeConfigError(name, `must be a whole number (got "${value}")`, 'Fix or unset the variable.');
    return Number(value);
  };

  let webhookSecret = text('STRIPE_WEBHOOK_SECRET')?.split(',').map((s) => s.trim()).filter(Boolean);
  const secretFile = text('STRIPE_WEBHOOK_SECRET_FILE');
  if (!webhookSecret?.length && secretFile) {
    const waitSeconds = integer('STRIPE_WEBHOOK_SECRET_FILE_WAIT_SECONDS') ?? 20;
    webhookSecret = [await readWebhookSecretFile(secretFile, waitSeconds * 1000)];
  }

  const apiBase = text('STRIPE_API_BASE');
  const stripe = apiBase === undefined ? overrides.stripe : { ...stripeApiBase(apiBase), ...overrides.stripe };

  return {
    secretKey: text('STRIPE_SECRET_KEY') as string,
    publishableKey: text('STRIPE_PUBLIC_KEY'),
    webhookUuid: text('STRIPE_WEBHOOK_UUID') as string,
    webhookSecret: webhookSecret ?? [],
    maxRequestsPerMinute: integer('LITESTRIPE_MAX_REQUESTS_PER_MINUTE'),
    rateLimitCacheKey: text('LITESTRIPE_API_RATE_LIMIT_CACHE_KEY'),
    webhookProcessing: text('LITESTRIPE_WEBHOOK_PROCESSING') as LitestripeModuleOptions['webhookProcessing'],
    ...overrides,
    ...(stripe === undefined ? {} : { stripe }),
  };
}

/** Where stripe-node sends its requests: the part of its config that `STRIPE_API_BASE` sets. */
export interface StripeApiBase {
  protocol: 'http' | 'https';
  host: string;
  port: number;
}

/**
 * Reads `STRIPE_API_BASE` (`http://127.0.0.1:12111`, `https://api.stripe.com`): an http(s) URL of a
 * host and optional port, nothing else (no path, query or credentials: stripe-node could not use them).
 */
export function stripeApiBase(value: string): StripeApiBase {
  const refuse = (problem: string, shown = value): never => {
    throw new LitestripeConfigError(
      'STRIPE_API_BASE',
      `${problem} (got "${shown}")`,
      'Give the base URL of a Stripe API, such as http://127.0.0.1:12111 (a fake Stripe: fake.env()) or https://api.stripe.com, or unset it for Stripe itself.',
    );
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse('must be an http:// or https:// URL');
  if (url.username || url.password) refuse('must not hold credentials (the API key is STRIPE_SECRET_KEY)', `${url.protocol}//***@${url.host}`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    refuse('must be a scheme, host and port only, with no path, query or fragment', `${url.origin}${url.pathname}${url.search || url.hash ? '?...' : ''}`);
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port);
  // URL keeps IPv6 hosts in brackets; node's http.request wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { protocol, host, port };
}

const WEBHOOK_SECRET_IN_TEXT = /whsec_[A-Za-z0-9+/=]+/;

/**
 * Reads a `whsec_...` from a file that another process (the Stripe CLI container) may not have
 * written yet, retrying until `timeoutMs` has passed.
 */
export async function readWebhookSecretFile(path: string, timeoutMs: number, pollMs = 250): Promise<string> {
  const deadline = monotonicMs() + timeoutMs;
  for (;;) {
    const content = await readFile(path, 'utf8').catch(() => '');
    const match = WEBHOOK_SECRET_IN_TEXT.exec(content);
    if (match) return match[0];
    if (monotonicMs() >= deadline) {
      throw new LitestripeConfigError(
        'STRIPE_WEBHOOK_SECRET_FILE',
        `names ${path}, which held no whsec_... secret after ${Math.round(timeoutMs / 1000)} s`,
        'Check that the Stripe CLI container runs and writes `stripe listen --print-secret` there, or set STRIPE_WEBHOOK_SECRET.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - monotonicMs()))));
  }
}
