import type Stripe from 'stripe';
import { BillingActionLimit, ClientReferenceContext, LitestripeModuleOptions } from './litestripe-options.interface.js';
import { OutboxOptions } from './outbox-options.interface.js';
import type { OutboxBroker } from './outbox-broker.interface.js';
import { InboxOptions } from './inbox-options.interface.js';
import type { LitestripeClock } from '../common/litestripe-clock.interface.js';
import type { ResolvedMetricsOptions } from './metrics-options.js';

/** The module options after validation, with every default filled in. */
export interface ResolvedLitestripeOptions {
  secretKey: string;
  publishableKey?: string;
  webhookUuid: string;
  webhookSecrets: string[];
  webhookToleranceSeconds: number;
  maxWebhookBodyBytes: number;
  accountReferenceMetadataKey: string;
  metadataKeys?: string[];
  validateClientReference?: (reference: string, context: ClientReferenceContext) => boolean | Promise<boolean>;
  maxRequestsPerMinute: number;
  rateLimitCacheKey: string;
  billingActionLimit: Required<BillingActionLimit> | false;
  stripe: Partial<Stripe.StripeConfig>;
  domainEvents: 'durable' | 'in-process';
  outbox: Required<OutboxOptions>;
  brokers: readonly OutboxBroker[];
  inProcessEvents: boolean;
  webhookProcessing: 'inline' | 'deferred';
  inbox: Required<InboxOptions>;
  refetch: 'never' | 'on-conflict' | 'always';
  refetchTimeoutMs: number;
  clock: LitestripeClock;
  /** From the secret key: `sk_live_`/`rk_live_` keys act on live-mode objects only. */
  livemode: boolean;
  connectedAccounts: 'ignore' | 'record';
  allowUnlistedPrices: boolean;
  eventLogRetentionDays: number;
  metrics: ResolvedMetricsOptions;
}

/** Where the webhook controller listens, under the app's global prefix (extra option `webhookPath`). */
export const DEFAULT_WEBHOOK_PATH = 'ls/hook';

export const DEFAULTS = {
  webhookToleranceSeconds: 300,
  maxWebhookBodyBytes: 1024 * 1024,
  accountReferenceMetadataKey: 'client_reference_id',
  maxRequestsPerMinute: 75,
  rateLimitCacheKey: 'litestripe_stripe_api_rate_limit',
  domainEvents: 'durable',
  webhookProcessing: 'inline',
  refetch: 'on-conflict',
  refetchTimeoutMs: 5000,
  connectedAccounts: 'ignore',
  allowUnlistedPrices: false,
  eventLogRetentionDays: 30,
  billingActionLimit: { limit: 10, windowSeconds: 60 },
} as const satisfies Partial<LitestripeModuleOptions>;

export const OUTBOX_DEFAULTS: Required<OutboxOptions> = {
  pollIntervalMs: 5000,
  leaseMs: 30_000,
  maxAttempts: 10,
  retryBackoffMs: 1000,
  batchSize: 100,
  retentionDays: 7,
};

export const INBOX_DEFAULTS: Required<InboxOptions> = {
  maxDepth: 10_000,
  batchSize: 100,
  maxAttempts: 8,
  retryBackoffMs: 1000,
  leaseMs: 30_000,
  sweepIntervalMs: 5000,
};

/** Injection token of {@link ResolvedLitestripeOptions}. */
export const LITESTRIPE_OPTIONS = Symbol('LITESTRIPE_OPTIONS');
