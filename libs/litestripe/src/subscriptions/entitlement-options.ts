import type { AccountRequest } from '../interfaces/entitlement-options.interface';
import type { LitestripeClock } from '../interfaces/litestripe-clock.interface';
import type { AccessPolicy } from './entitlement-rules';
import type { PlanCatalog } from './plan-catalog';

/** The read path's options after validation, with every default filled in. */
export interface ResolvedEntitlementOptions {
  /** From the secret key: `sk_live_`/`rk_live_` keys work on live-mode objects only. */
  livemode: boolean;
  catalog: PlanCatalog;
  policy: AccessPolicy;
  refreshStaleRows: boolean;
  cache: { ttlMs: number; maxEntries: number } | null;
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
  cacheTtlSeconds: 30,
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
