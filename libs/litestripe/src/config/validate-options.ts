import { BillingActionLimit, LitestripeModuleOptions } from './litestripe-options.interface.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { OutboxOptions } from './outbox-options.interface.js';
import { InboxOptions } from './inbox-options.interface.js';
import { DEFAULTS, INBOX_DEFAULTS, OUTBOX_DEFAULTS, ResolvedLitestripeOptions } from './resolved-options.js';
import type { LitestripeClock } from '../common/litestripe-clock.interface.js';
import { systemClock } from '../common/clock.js';
import { resolveMetricsOptions } from './metrics-options.validator.js';
import { checkEventDestinations, validateBrokers } from './brokers-options.validator.js';

const SECRET_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9]+$/;
const PUBLISHABLE_KEY = /^pk_(test|live)_[A-Za-z0-9]+$/;
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/=]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks every option and fills in defaults. Messages name the option, never its secret value. */
export function validateOptions(options: LitestripeModuleOptions | undefined): ResolvedLitestripeOptions {
  if (!options || typeof options !== 'object') {
    throw new LitestripeConfigError('options', 'are missing', 'Pass them to LitestripeModule.forRoot() or return them from forRootAsync().');
  }
  requireMatch('secretKey', options.secretKey, SECRET_KEY, 'an API key like sk_test_..., sk_live_... or rk_live_... (env STRIPE_SECRET_KEY)');
  if (options.publishableKey !== undefined) {
    requireMatch('publishableKey', options.publishableKey, PUBLISHABLE_KEY, 'a key like pk_test_... (env STRIPE_PUBLIC_KEY)');
  }
  requireMatch('webhookUuid', options.webhookUuid, UUID, 'a UUID, e.g. one from crypto.randomUUID() (env STRIPE_WEBHOOK_UUID)');

  const webhookSecrets = (Array.isArray(options.webhookSecret) ? options.webhookSecret : [options.webhookSecret]).filter((s) => s !== '');
  if (webhookSecrets.length === 0 || webhookSecrets.some((s) => typeof s !== 'string')) {
    throw new LitestripeConfigError(
      'webhookSecret',
      'is missing',
      'Set it to the signing secret (whsec_...) of your webhook endpoint: Dashboard > Developers > Webhooks, or `stripe listen --print-secret` (env STRIPE_WEBHOOK_SECRET or STRIPE_WEBHOOK_SECRET_FILE).',
    );
  }
  webhookSecrets.forEach((secret, i) =>
    requireMatch(webhookSecrets.length > 1 ? `webhookSecret[${i}]` : 'webhookSecret', secret, WEBHOOK_SECRET, 'a signing secret starting with whsec_'),
  );

  const resolved: ResolvedLitestripeOptions = {
    ...options,
    webhookSecrets,
    webhookToleranceSeconds: positiveInteger('webhookToleranceSeconds', options.webhookToleranceSeconds, DEFAULTS.webhookToleranceSeconds),
    maxWebhookBodyBytes: positiveInteger('maxWebhookBodyBytes', options.maxWebhookBodyBytes, DEFAULTS.maxWebhookBodyBytes),
    accountReferenceMetadataKey: nonEmpty('accountReferenceMetadataKey', options.accountReferenceMetadataKey, DEFAULTS.accountReferenceMetadataKey),
    maxRequestsPerMinute: positiveInteger('maxRequestsPerMinute', options.maxRequestsPerMinute, DEFAULTS.maxRequestsPerMinute),
    rateLimitCacheKey: nonEmpty('rateLimitCacheKey', options.rateLimitCacheKey, DEFAULTS.rateLimitCacheKey),
    billingActionLimit: validateBillingActionLimit(options.billingActionLimit),
    stripe: options.stripe ?? {},
    domainEvents: oneOf('domainEvents', options.domainEvents, ['durable', 'in-process'], DEFAULTS.domainEvents),
    outbox: validateOutbox(options.outbox),
    brokers: validateBrokers(options.brokers),
    inProcessEvents: booleanOption('inProcessEvents', options.inProcessEvents, true),
    webhookProcessing: oneOf('webhookProcessing', options.webhookProcessing, ['inline', 'deferred'], DEFAULTS.webhookProcessing),
    inbox: validateTuning<InboxOptions>('inbox', options.inbox, INBOX_DEFAULTS),
    refetch: oneOf('refetch', options.refetch, ['never', 'on-conflict', 'always'], DEFAULTS.refetch),
    refetchTimeoutMs: positiveInteger('refetchTimeoutMs', options.refetchTimeoutMs, DEFAULTS.refetchTimeoutMs),
    clock: validateClock(options.clock),
    livemode: /^(sk|rk)_live_/.test(options.secretKey),
    connectedAccounts: oneOf('connectedAccounts', options.connectedAccounts, ['ignore', 'record'], DEFAULTS.connectedAccounts),
    allowUnlistedPrices: booleanOption('allowUnlistedPrices', options.allowUnlistedPrices, DEFAULTS.allowUnlistedPrices),
    eventLogRetentionDays: retentionDays(options.eventLogRetentionDays),
    metrics: resolveMetricsOptions(options.metrics),
  };
  delete (resolved as { webhookSecret?: unknown }).webhookSecret;
  checkEventDestinations(resolved);
  if (options.metadataKeys !== undefined && (!Array.isArray(options.metadataKeys) || options.metadataKeys.some((k) => typeof k !== 'string' || k === ''))) {
    throw new LitestripeConfigError('metadataKeys', 'must be a list of non-empty strings', 'Leave it out to keep every metadata key.');
  }
  if (options.validateClientReference !== undefined && typeof options.validateClientReference !== 'function') {
    throw new LitestripeConfigError('validateClientReference', 'must be a function', 'Give (reference, context) => boolean | Promise<boolean>.');
  }
  return resolved;
}

function validateOutbox(outbox: OutboxOptions | undefined): Required<OutboxOptions> {
  // 0 turns polling off; every other tuning value must be positive.
  return validateTuning<OutboxOptions>('outbox', outbox, OUTBOX_DEFAULTS, (key, value) => key === 'pollIntervalMs' && value === 0);
}

/** An object of positive whole numbers, each defaulted on its own; `allowed` lets an option accept another value. */
export function validateTuning<T extends object>(option: string, given: T | undefined, defaults: Required<T>, allowed?: (key: keyof T, value: unknown) => boolean): Required<T> {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw new LitestripeConfigError(option, 'must be an object', 'Leave it out for the defaults.');
  }
  const unknown = Object.keys(given ?? {}).filter((key) => !(key in defaults));
  if (unknown.length > 0) {
    throw new LitestripeConfigError(`${option}.${unknown[0]}`, 'is not an option', `Known: ${Object.keys(defaults).join(', ')}.`);
  }
  const resolved = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const value = given?.[key];
    resolved[key] = (allowed?.(key, value) ? value : positiveInteger(`${option}.${String(key)}`, value, defaults[key] as number)) as Required<T>[keyof T];
  }
  return resolved;
}

function validateBillingActionLimit(value: unknown): Required<BillingActionLimit> | false {
  if (value === false) return false;
  const fallback = DEFAULTS.billingActionLimit;
  if (value === undefined) return { ...fallback };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LitestripeConfigError(
      'billingActionLimit',
      `must be { limit, windowSeconds } or false (got ${JSON.stringify(value)})`,
      `E.g. { limit: ${fallback.limit}, windowSeconds: ${fallback.windowSeconds} } (the default) allows each account ${fallback.limit} billing actions a minute; false turns the limit off.`,
    );
  }
  const given = value as BillingActionLimit;
  return {
    limit: positiveInteger('billingActionLimit.limit', given.limit, fallback.limit),
    windowSeconds: positiveInteger('billingActionLimit.windowSeconds', given.windowSeconds, fallback.windowSeconds),
  };
}

function validateClock(clock: LitestripeClock | undefined): LitestripeClock {
  if (clock === undefined) return systemClock;
  const remedy = 'Give { now: () => new Date(...) }, or leave it out for the system clock.';
  if (typeof clock?.now !== 'function') throw new LitestripeConfigError('clock', 'must have a now() method returning a Date', remedy);
  let now: unknown;
  try {
    now = clock.now();
  } catch (error) {
    throw new LitestripeConfigError('clock', `threw from now() (${error instanceof Error ? error.message : String(error)})`, remedy);
  }
  // Not instanceof: a Date made in another realm (a VM context, a worker's structured clone) is still a Date.
  if (Object.prototype.toString.call(now) !== '[object Date]' || Number.isNaN((now as Date).getTime())) {
    throw new LitestripeConfigError('clock', `now() must return a valid Date (got ${describe(now)})`, remedy);
  }
  return clock;
}

function describe(value: unknown): string {
  if (Object.prototype.toString.call(value) === '[object Date]') return 'an invalid Date';
  return typeof value === 'number' ? `the number ${value}; wrap it in new Date(...)` : typeof value;
}

/** Stripe retries a failed delivery for up to three days: a shorter log would apply a late redelivery twice. */
const STRIPE_RETRY_DAYS = 3;

function retentionDays(value: unknown): number {
  if (value === undefined) return DEFAULTS.eventLogRetentionDays;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= STRIPE_RETRY_DAYS) {
    throw new LitestripeConfigError(
      'eventLogRetentionDays',
      `must be a whole number of days over ${STRIPE_RETRY_DAYS} (got ${JSON.stringify(value)})`,
      `Stripe retries a delivery for ${STRIPE_RETRY_DAYS} days, and the log is what makes a redelivery a duplicate. Leave it out for ${DEFAULTS.eventLogRetentionDays}.`,
    );
  }
  return value;
}

function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new LitestripeConfigError(option, `must be true or false (got ${JSON.stringify(value)})`, `Leave it out for ${fallback}.`);
  return value;
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new LitestripeConfigError(option, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${JSON.stringify(value)})`, `Leave it out for the default, '${fallback}'.`);
  }
  return value as T;
}

function requireMatch(option: string, value: unknown, pattern: RegExp, expected: string): void {
  if (value === undefined || value === null || value === '') {
    throw new LitestripeConfigError(option, 'is missing', `Set it to ${expected}.`);
  }
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new LitestripeConfigError(option, 'is malformed', `Expected ${expected}; check for quotes, spaces or a truncated copy.`);
  }
}

function positiveInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new LitestripeConfigError(option, `must be a positive whole number (got ${JSON.stringify(value)})`, `Leave it out for the default, ${fallback}.`);
  }
  return value;
}

function nonEmpty(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new LitestripeConfigError(option, 'must be a non-empty string', `Leave it out for the default, "${fallback}".`);
  }
  return value;
}
