import type { AccountRequest } from './entitlement-options.interface.js';
import type { LitestripeClock } from '../common/litestripe-clock.interface.js';
import type { PlanCatalog } from './plan-catalog.js';

/** The configurable parts of the rules. */
export interface AccessPolicy {
  pastDueGraceSeconds: number;
  /** Every pause of payment collection denies, whatever its behaviour (module option `denyPausedCollection`). */
  denyPausedCollection: boolean;
  staleAfterSeconds: number;
}

/** How instances learn of each other's changes (option `entitlementCache.invalidation`). */
export type CacheInvalidation = 'auto' | 'listen' | 'in-process';

/** The read path's options after validation, with every default filled in. */
export interface ResolvedEntitlementOptions {
  /** From the secret key: `sk_live_`/`rk_live_` keys work on live-mode objects only. */
  livemode: boolean;
  catalog: PlanCatalog;
  policy: AccessPolicy;
  refreshStaleRows: boolean;
  cache: { ttlMs: number; maxEntries: number; invalidation: CacheInvalidation; listenUrl?: string } | null;
  accountResolver: (request: AccountRequest) => unknown;
  deniedStatus: 402 | 403;
  subscribeUrl?: string;
  manageBillingUrl?: string;
  orphanEmailRetentionDays: number | null;
  /** Subscription metadata key that carries the account reference (module option `accountReferenceMetadataKey`). */
  accountReferenceMetadataKey: string;
  /** The module's one clock (module option `clock`). */
  clock: LitestripeClock;
}

export const ENTITLEMENT_DEFAULTS = {
  pastDueGraceSeconds: 0,
  denyPausedCollection: false,
  staleAfterSeconds: 3600,
  refreshStaleRows: true,
  cacheTtlSeconds: 300,
  cacheMaxEntries: 10_000,
  deniedStatus: 403,
  orphanEmailRetentionDays: 30,
} as const;

/** Injection token of {@link ResolvedEntitlementOptions}. */
export const LITESTRIPE_ENTITLEMENT_OPTIONS = Symbol('LITESTRIPE_ENTITLEMENT_OPTIONS');

/** `request.user.id`, or on Fastify with Nest middleware, `request.raw.user.id`. */
export function defaultAccountResolver(request: AccountRequest): unknown {
  return request?.user?.id ?? request?.raw?.user?.id;
}
