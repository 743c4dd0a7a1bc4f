import type Stripe from 'stripe';
import type { LitestripeClientOptions } from './stripe-client-options.interface.js';
import type { LitestripeEntitlementOptions } from './entitlement-options.interface.js';
import type { LitestripeClock } from '../common/litestripe-clock.interface.js';
import type { OutboxOptions } from './outbox-options.interface.js';
import type { OutboxBroker } from './outbox-broker.interface.js';
import type { InboxOptions } from './inbox-options.interface.js';
import type { UsageOptions } from './usage-options.interface.js';
import type { GuestOptions } from './guest-options.interface.js';
import type { MetricsOptions } from './metrics-options.interface.js';

/** What `validateClientReference` is told about the checkout it is asked to accept. */
export interface ClientReferenceContext {
  /** Where the reference came from: a checkout's `client_reference_id`, subscription metadata, an orphan claim by support, a relink, or a guest linked to an account. */
  source: 'checkout' | 'subscription_metadata' | 'orphan_claim' | 'relink' | 'guest_link';
  /** Null when no checkout is involved (subscription metadata, a backfilled orphan). */
  checkoutSessionId: string | null;
  /** Null for a one-time purchase (Checkout in `payment` mode): see `paymentRef`. */
  subscriptionId: string | null;
  /** A one-time purchase's PaymentIntent id (its Checkout Session's when no payment was taken); absent for subscriptions. */
  paymentRef?: string;
  customerId: string | null;
  livemode: boolean;
  /**
   * The account the subscription (or purchase) is linked to now (null: none yet). A webhook never moves an
   * existing link: a reference naming another account is recorded as a link conflict.
   */
  currentAccountRef: string | null;
}

/** A per-account limit on billing actions (`billingActionLimit`). */
export interface BillingActionLimit {
  /** Billing actions one account may start per window. @default 10 */
  limit?: number;
  /** Window length in seconds. @default 60 */
  windowSeconds?: number;
}

/**
 * Options of `LitestripeModule.forRoot()` / `forRootAsync()`.
 * Validated at start-up: a missing or malformed value stops the app with a message naming it.
 */
export interface LitestripeModuleOptions extends LitestripeClientOptions, LitestripeEntitlementOptions {
  /** Stripe secret or restricted key (`sk_test_...`, `sk_live_...`, `rk_...`). Env: `STRIPE_SECRET_KEY`. */
  secretKey: string;

  /** Stripe publishable key (`pk_...`), handed to front ends. Env: `STRIPE_PUBLIC_KEY`. */
  publishableKey?: string;

  /**
   * The UUID in the webhook URL (`POST /<webhookPath>/<uuid>`): an unguessable path segment,
   * so scanners never reach signature checking. Env: `STRIPE_WEBHOOK_UUID`.
   */
  webhookUuid: string;

  /**
   * Signing secret(s) of the webhook endpoint(s) (`whsec_...`). Several are accepted at once for
   * secret rotation and for a test and a live endpoint sharing one URL.
   * Env: `STRIPE_WEBHOOK_SECRET` (comma-separated) or `STRIPE_WEBHOOK_SECRET_FILE`.
   */
  webhookSecret: string | string[];

  /**
   * How old a signed timestamp may be, in seconds, before the delivery is refused as a replay.
   * @default 300
   */
  webhookToleranceSeconds?: number;

  /**
   * Largest webhook body accepted, in bytes; larger ones answer 413.
   * @default 1048576 (1 MiB)
   */
  maxWebhookBodyBytes?: number;

  /**
   * Subscription metadata key that carries the host's account reference, for subscriptions made
   * outside Checkout (API, dashboard) or to survive a lost checkout event.
   * @default 'client_reference_id'
   */
  accountReferenceMetadataKey?: string;

  /**
   * Keep only these metadata keys (of checkout sessions and subscriptions) on the row.
   * `undefined` keeps every key.
   * @default undefined
   */
  metadataKeys?: string[];

  /**
   * Decides whether a checkout's `client_reference_id` (or the account in subscription metadata,
   * or one support claims an orphan for) names a real account of the host. A rejected reference is
   * not linked: a checkout's payment becomes an `OrphanedPayment` for support to fix, a claim is refused.
   * Throwing fails the event (Stripe retries it), so do not throw for "no such account".
   * @default undefined (every well-formed reference is accepted)
   */
  validateClientReference?: (reference: string, context: ClientReferenceContext) => boolean | Promise<boolean>;

  /**
   * Stripe API requests per minute, shared by every instance of the app.
   * Env: `LITESTRIPE_MAX_REQUESTS_PER_MINUTE`.
   * @default 75
   */
  maxRequestsPerMinute?: number;

  /**
   * How many billing actions one account may start per window, so that no account spends the
   * Stripe budget of every other: `createCheckoutSession`, `syncCheckoutSession`,
   * `createBillingPortalSession`, `cancel`, `resume`, `changePlan` and `setQuantity` count, once
   * the account reference and URLs are checked (an action with nothing to change does not).
   * Operator actions (`claimOrphanedPayment`, `relinkSubscription`) and reads do not count. Past
   * the limit, the action throws `BillingActionLimitException` (a 429 naming the wait) before any
   * Stripe call. Counted in `rateLimitStorage`, so instances sharing a store share the
   * count; if the store fails, per process (with a warning). `false` turns the limit off.
   * @default { limit: 10, windowSeconds: 60 }
   */
  billingActionLimit?: BillingActionLimit | false;

  /**
   * Key under which the API rate limiter counts requests in its store.
   * Env: `LITESTRIPE_API_RATE_LIMIT_CACHE_KEY`.
   * @default 'litestripe_stripe_api_rate_limit'
   */
  rateLimitCacheKey?: string;

  /**
   * How domain events reach your listeners.
   * - `'durable'`: recorded in the `litestripe_outbox` table in the same transaction as the state
   *   change, dispatched after commit, retried until every listener succeeded (or attempts run
   *   out), and dispatched again by any instance after a crash. At least once: deduplicate on
   *   the payload's `id`.
   * - `'in-process'`: emitted after commit and forgotten; a crash between commit and emit loses them.
   * @default 'durable'
   */
  domainEvents?: 'durable' | 'in-process';

  /** Tuning of durable delivery. */
  outbox?: OutboxOptions;

  /**
   * Message brokers every durable domain event is also published to, for other services (a mailer,
   * analytics, provisioning): `rabbitMqOutboxBroker(...)` and `jetStreamOutboxBroker(...)` from
   * `@litestripe/nestjs/brokers`, or any {@link OutboxBroker}. Each has its own delivered mark and
   * retries: a broker that is down or slow holds back neither the in-process bus nor the others.
   * At least once, with the domain event's id as the message id. Needs `domainEvents: 'durable'`.
   * @default []
   */
  brokers?: readonly OutboxBroker[];

  /**
   * Whether durable domain events are emitted on the app's in-process event bus (`@OnEvent`).
   * `false` publishes them to the `brokers` only.
   * @default true
   */
  inProcessEvents?: boolean;

  /**
   * When a verified webhook event is applied to the tables:
   * - `'inline'`: before the webhook answers. A 200 means the event is applied; a failure answers
   *   5xx and Stripe retries it (for three days, visible in the Dashboard). One transaction per event.
   * - `'deferred'`: the webhook makes one write (the event's id and the fields the handlers need,
   *   never the raw payload) and answers at once; every instance's applier then applies the inbox in
   *   ordered batches, one transaction per batch. Faster to answer and far cheaper under bursts, but
   *   a 200 only means "stored": state follows within milliseconds, and an event that keeps failing
   *   is kept as failed on your side (`WebhookInboxService`, `sync events`), not retried by Stripe.
   * The success page's sync and stale-row refreshes read Stripe directly in both modes.
   * @default 'inline'
   */
  webhookProcessing?: 'inline' | 'deferred';

  /** Tuning of the inbox and its appliers (`webhookProcessing: 'deferred'`). */
  inbox?: InboxOptions;

  /**
   * When a subscription event asks Stripe for the subscription's current state (by its id) instead
   * of trusting the payload's place in the event order:
   * - `'never'`: apply payloads in `created` order, ties broken by lifecycle stage;
   * - `'on-conflict'`: as `'never'`, but an event of the same second as the stored state that
   *   disagrees with it is settled by asking Stripe;
   * - `'always'`: every subscription event is a trigger to store what Stripe says now (one API call
   *   per event, within `maxRequestsPerMinute`).
   * No call is made for a payload that is already final (`canceled`, `incomplete_expired`). If
   * Stripe cannot be reached within `refetchTimeoutMs`, the payload is applied in order as with `'never'`.
   * @default 'on-conflict'
   */
  refetch?: 'never' | 'on-conflict' | 'always';

  /** How long a refetch may take before the payload is applied instead, in ms. @default 5000 */
  refetchTimeoutMs?: number;

  /** Extra configuration for the `stripe` client (API version, host, timeouts, retries). */
  stripe?: Partial<Stripe.StripeConfig>;

  /**
   * The one clock of every decision that depends on the date: entitlement (trial, grace and period
   * ends), when a row is stale and when to refresh it again, the sync window, the webhook signature's
   * timestamp checks, and retention (orphan emails, delivered outbox entries). Set it to move all of
   * them together, e.g. in tests; webhook signatures must then be made at this clock's time.
   * The module's timers (poll intervals, timeouts, backoff, the rate-limit window, cache lifetimes)
   * measure real elapsed time instead, and the outbox's leases and backoff run on PostgreSQL's clock,
   * which every instance shares.
   * @default the system clock
   */
  clock?: LitestripeClock;

  /**
   * What to do with an event of a connected account (one that carries `account`, sent to a Connect
   * endpoint). Neither applies it: full Connect support comes later.
   * - `'ignore'`: record it in the event log as `connected_account`, and warn once that a Connect
   *   endpoint points here (an event of another account must never grant access to this platform's accounts);
   * - `'record'`: record it the same way, without the warning (you meant to send Connect events here).
   * @default 'ignore'
   */
  connectedAccounts?: 'ignore' | 'record';

  /**
   * Days the event log keeps processed and ignored events (failed ones stay until they succeed).
   * An event's id in the log is what makes its redelivery harmless, so this must exceed Stripe's
   * three days of retries; keep it at least as long as the `sync replay` window (30 days) to replay without
   * re-applying. Purged hourly by each instance, together with delivered outbox entries.
   * @default 30
   */
  eventLogRetentionDays?: number;

  /**
   * Usage limits and metered billing: how each metric is counted, a free tier's limits, the Redis
   * client of hot metrics, reporting to Stripe Billing Meters. The limits are the plans' `limits`.
   * @default {}
   */
  usage?: UsageOptions;

  /** Guests: subscribers without an account, let in by an access token (see `GuestOptions`). @default {} */
  guests?: GuestOptions;

  /** Metrics through OpenTelemetry (the optional peer `@opentelemetry/api`), see `MetricsOptions`. @default off */
  metrics?: MetricsOptions;
}

/** Options that shape the module itself; given to `forRoot` and `forRootAsync` alike. */
export interface LitestripeModuleExtras {
  /** Register the module globally, so feature modules need not import it. @default false */
  isGlobal?: boolean;
  /**
   * Path prefix of the webhook route; the UUID is appended (`POST /ls/hook/<uuid>`).
   * @default 'ls/hook'
   */
  webhookPath?: string;
}
