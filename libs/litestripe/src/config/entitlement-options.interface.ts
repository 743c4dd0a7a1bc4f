/**
 * One named plan: the Stripe prices that put an account on it, and what it grants.
 *
 * @example
 * pro: {
 *   name: 'Pro',
 *   prices: { test: ['price_1Test...monthly', 'price_1Test...yearly'], live: ['price_1Live...monthly'] },
 *   features: ['advanced_analytics', 'export'],
 *   limits: { projects: 50, seats: 10 },
 * }
 */
export interface LitestripePlan {
  /** Display name, for pricing pages. @default the plan's key */
  name?: string;

  /**
   * Stripe price ids of the plan, per mode: `test` ids are used with a `sk_test_`/`rk_test_` key,
   * `live` ids with a live key (a price exists in one mode only). The first price of the current
   * mode is the one checkout uses when given only the plan.
   * @default {}
   */
  prices?: { test?: string | string[]; live?: string | string[] };

  /**
   * Stripe price lookup keys of the plan (the same key may name a test and a live price).
   * Used when no price id of the current mode is given.
   * @default []
   */
  lookupKeys?: string | string[];

  /** Feature flags the plan grants, checked by `@RequiresFeature()` and `isEntitled({ feature })`. @default [] */
  features?: string[];

  /**
   * Numeric limits of the plan (`Infinity` for unlimited), reported by `getEntitlement()` and
   * enforced per period by `@UsageLimit()` and `UsageService`. A metric the plan does not list is
   * not granted by it (limit 0).
   * @default {}
   */
  limits?: Record<string, number>;

  /**
   * Metered prices of the plan, per mode (prices on a Stripe Billing Meter, billed after each period
   * for the use `UsageService.record()` reports). Checkout adds them beside the plan's price, with no
   * quantity; the plan is still read from the licensed price.
   * @default {}
   */
  meteredPrices?: { test?: string | string[]; live?: string | string[] };

  /**
   * One-time prices, per mode, that grant the plan for good (a **lifetime** plan): Checkout sells
   * them in `payment` mode, and a paid purchase entitles the account to the plan's features and limits
   * with no end. A full refund or a lost dispute takes it back; a partial refund does not, unless
   * `revokeLifetimeOnPartialRefund` is set.
   * @default {}
   */
  lifetimePrices?: { test?: string | string[]; live?: string | string[] };
}

/**
 * A pack of usage credits sold once (Checkout in `payment` mode): each unit bought adds `credits` to
 * the buyer's balance of those metrics, which `@UsageLimit()` and `UsageService.consume()` spend once
 * the period's allowance is used up. Credits do not expire.
 *
 * @example
 * exports_100: { name: '100 exports', prices: { test: 'price_1Test...' }, credits: { exports: 100 } }
 */
export interface LitestripeCreditPack {
  /** Display name. @default the pack's key */
  name?: string;
  /** The pack's one-time Stripe price ids, per mode. */
  prices: { test?: string | string[]; live?: string | string[] };
  /** Credits per unit bought, by metric name (whole numbers >= 1). */
  credits: Record<string, number>;
}

/** The parts of an HTTP request the default account resolver reads (Express or Fastify). */
export interface AccountRequest {
  user?: { id?: unknown } | null;
  raw?: { user?: { id?: unknown } | null };
  [key: string]: unknown;
}

/**
 * Options of the read path: plans, entitlement rules, the cache, the guard and orphan retention.
 * `LitestripeModuleOptions` extends this interface. Validated at start-up.
 */
export interface LitestripeEntitlementOptions {
  /**
   * Named plans (`pro`, `enterprise`...). Plan names are letters, digits, `_` and `-`. A price id
   * or lookup key may belong to one plan only, and every plan needs at least one price or lookup key.
   * Once plans are configured they are the catalogue: a subscription whose price is in no plan does
   * not entitle, and `createCheckoutSession` sells only the plans' prices (see `allowUnlistedPrices`).
   * @default {}
   */
  plans?: Record<string, LitestripePlan>;

  /**
   * With `plans` configured: let a subscription whose price is in no plan entitle (to
   * `@RequiresSubscription()`, with no plan or feature), and let `createCheckoutSession` sell any price.
   * Off, such a subscription is decided `unlisted_price` (logged once per price, so you can add it to a plan).
   * Without plans every price entitles, whatever this says.
   * @default false
   */
  allowUnlistedPrices?: boolean;

  /**
   * Usage credit packs sold once, by name (letters, digits, `_` and `-`). Their prices may not be
   * any plan's. Credits of a refunded purchase are taken back in proportion to the amount refunded
   * (never below zero: what was spent stays spent), all of them after a full refund or a lost dispute.
   * @default {}
   */
  creditPacks?: Record<string, LitestripeCreditPack>;

  /**
   * Take a lifetime plan back after a partial refund too (by default only a full refund or a lost
   * dispute does).
   * @default false
   */
  revokeLifetimeOnPartialRefund?: boolean;

  /**
   * Where the features of a subscription come from: `'config'` (each plan's `features`), `'stripe'`
   * (Stripe Entitlements: the features attached to the products the customer subscribes to, kept
   * from `entitlements.active_entitlement_summary.updated` and the backfill), or `'both'` (their
   * union). Stripe's features count while the module's rules say a subscription entitles. A lifetime
   * plan's features always come from its configuration (Stripe grants entitlements to subscriptions only).
   * @default 'config'
   */
  featuresFrom?: 'config' | 'stripe' | 'both';

  /**
   * With `featuresFrom` `'stripe'` or `'both'`: the lookup keys of the Stripe features the app checks
   * (`@RequiresFeature()`, `isEntitled({ feature })`), so that a typo is still a start-up error.
   * @default []
   */
  stripeFeatures?: string[];

  /**
   * How long a `past_due` subscription keeps entitling, counted from the start of its current
   * billing period (when the renewal invoice that failed was created). 0: `past_due` never entitles
   * (as in Pay and Laravel Cashier by default).
   * @default 0
   */
  pastDueGraceSeconds?: number;

  /**
   * Deny access while payment collection is paused (`pause_collection`, set from the billing portal
   * or the API while the status stays `active`), whatever the pause's behaviour. Off, pauses follow
   * Stripe's guide: `keep_as_draft` and `mark_uncollectible` keep access, `void` keeps it until the
   * end of the period already paid. Replaces `collectionPausedEntitles` (whose `false` is `true` here).
   * @default false
   */
  denyPausedCollection?: boolean;

  /**
   * An `active` or `trialing` row whose period (or trial) ended more than this many seconds ago is
   * stale: a renewal webhook was missed. It does not entitle unless a refresh from Stripe says otherwise.
   * @default 3600
   */
  staleAfterSeconds?: number;

  /**
   * Re-read stale rows from Stripe (through the rate-limited client, at most once a minute per
   * subscription) before deciding.
   * @default true
   */
  refreshStaleRows?: boolean;

  /**
   * In-process cache of each account's subscription rows, on by default. Decisions are still made at
   * the current time, so trial and grace ends are exact. Every committed change of an account's rows
   * drops them on every instance: PostgreSQL announces it (`NOTIFY`, from a trigger) to each
   * instance, which listens on one connection of its own. While that connection is down the cache is
   * empty and bypassed. `false` turns it off (one indexed query per lookup).
   * - `ttlSeconds` (default 300): how long rows are kept when nothing changes them.
   * - `maxEntries` (default 10000): accounts kept, least recently used dropped first.
   * - `invalidation` (default `'auto'`): `'listen'` on the DataSource's server (or `listenUrl`);
   *   `'in-process'` for one instance only (this process's own writes); `'auto'` listens unless the
   *   DataSource uses a custom driver such as embedded PGlite, which is one process.
   * - `listenUrl`: a PostgreSQL URL for the listen connection, when the DataSource goes through a
   *   transaction-mode pooler (PgBouncer), which cannot hold a `LISTEN`: point it at the server.
   * @default { ttlSeconds: 300, maxEntries: 10000, invalidation: 'auto' }
   */
  entitlementCache?: false | { ttlSeconds?: number; maxEntries?: number; invalidation?: 'auto' | 'listen' | 'in-process'; listenUrl?: string };

  /**
   * Where the guard finds the account of a request. Return null/undefined for an anonymous request
   * (answered 401).
   * @default (request) => request.user?.id (on Fastify also request.raw.user?.id)
   */
  accountResolver?: (request: AccountRequest) => string | number | null | undefined | Promise<string | number | null | undefined>;

  /**
   * Status the guard answers when the account is not entitled: 403 Forbidden or 402 Payment Required.
   * @default 403
   */
  deniedStatus?: 402 | 403;

  /** Link put in the guard's denial body for accounts that need to subscribe (e.g. `/pricing`). @default undefined */
  subscribeUrl?: string;

  /** Link put in the guard's denial body for accounts whose payment failed (e.g. `/billing/portal`). @default undefined */
  manageBillingUrl?: string;

  /**
   * Days after which the email of a resolved (claimed) orphaned payment is erased. `null` keeps it.
   * @default 30
   */
  orphanEmailRetentionDays?: number | null;
}
