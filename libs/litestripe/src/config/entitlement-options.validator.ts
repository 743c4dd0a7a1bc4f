import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import type { ResolvedLitestripeOptions } from './resolved-options.js';
import type { LitestripeCreditPack, LitestripeEntitlementOptions, LitestripePlan } from './entitlement-options.interface.js';
import { defaultAccountResolver, ENTITLEMENT_DEFAULTS, ResolvedEntitlementOptions } from './entitlement-options.js';
import { CreditPackDefinition, FeatureSource, PlanCatalog, PlanDefinition } from './plan-catalog.js';
import { METRIC_NAME } from './usage-options.js';
import { readLimitTable } from './usage-options.validator.js';

const PLAN_NAME = /^[A-Za-z0-9_-]{1,100}$/;
const PLAN_KEYS = new Set(['name', 'prices', 'meteredPrices', 'lifetimePrices', 'lookupKeys', 'features', 'limits']);
const PACK_KEYS = new Set(['name', 'prices', 'credits']);
const FEATURE_SOURCES: readonly FeatureSource[] = ['config', 'stripe', 'both'];

/** Checks the read path's options and fills in defaults; the base options are already validated. */
export function resolveEntitlementOptions(
  raw: LitestripeEntitlementOptions,
  base: Pick<ResolvedLitestripeOptions, 'secretKey' | 'accountReferenceMetadataKey' | 'clock'> & Partial<Pick<ResolvedLitestripeOptions, 'allowUnlistedPrices'>>,
): ResolvedEntitlementOptions {
  const livemode = /^(sk|rk)_live_/.test(base.secretKey);
  const cache = raw.entitlementCache;
  if (cache !== undefined && cache !== false && (typeof cache !== 'object' || cache === null)) {
    fail('entitlementCache', 'must be false or { ttlSeconds?, maxEntries?, invalidation?, listenUrl? }', 'Leave it out for the default cache, or set false to turn it off.');
  }
  const cacheOptions = cache === false ? null : (cache ?? {});
  const invalidation = cacheOptions?.invalidation ?? 'auto';
  if (!['auto', 'listen', 'in-process'].includes(invalidation)) {
    fail('entitlementCache.invalidation', `must be 'auto', 'listen' or 'in-process' (got ${JSON.stringify(invalidation)})`, "Leave it out for 'auto'.");
  }
  const listenUrl = cacheOptions?.listenUrl;
  if (listenUrl !== undefined && (typeof listenUrl !== 'string' || !/^postgres(ql)?:\/\//.test(listenUrl))) {
    fail('entitlementCache.listenUrl', 'must be a postgres:// or postgresql:// URL', 'Leave it out to listen on the DataSource\'s own server.');
  }
  if (listenUrl !== undefined && invalidation === 'in-process') {
    fail('entitlementCache.listenUrl', "is set while invalidation is 'in-process', which listens nowhere", "Remove one of them: 'in-process' is for a single instance.");
  }
  if (raw.accountResolver !== undefined && typeof raw.accountResolver !== 'function') {
    fail('accountResolver', 'must be a function', 'Give (request) => accountRef | null, e.g. (req) => req.user?.accountId.');
  }
  if (raw.deniedStatus !== undefined && raw.deniedStatus !== 402 && raw.deniedStatus !== 403) {
    fail('deniedStatus', `must be 402 or 403 (got ${JSON.stringify(raw.deniedStatus)})`, 'Leave it out for 403.');
  }
  if ((raw as Record<string, unknown>).collectionPausedEntitles !== undefined) {
    fail(
      'collectionPausedEntitles',
      'was replaced by denyPausedCollection, and paused collection now keeps access by default (as Stripe advises)',
      'Remove it; for the old default (every pause denies) set denyPausedCollection: true. See the upgrade notes in the README.',
    );
  }
  for (const option of ['denyPausedCollection', 'refreshStaleRows', 'revokeLifetimeOnPartialRefund'] as const) {
    if (raw[option] !== undefined && typeof raw[option] !== 'boolean') fail(option, 'must be true or false', 'Leave it out for the default.');
  }
  for (const option of ['subscribeUrl', 'manageBillingUrl'] as const) {
    if (raw[option] !== undefined && (typeof raw[option] !== 'string' || raw[option] === '')) fail(option, 'must be a non-empty URL or path', 'Leave it out to omit the link.');
  }
  const retention = raw.orphanEmailRetentionDays;
  if (retention !== undefined && retention !== null && !(typeof retention === 'number' && Number.isFinite(retention) && retention >= 0)) {
    fail('orphanEmailRetentionDays', `must be a number of days >= 0, or null (got ${JSON.stringify(retention)})`, 'Leave it out for 30 days; null keeps emails.');
  }
  const featuresFrom = raw.featuresFrom ?? 'config';
  if (!FEATURE_SOURCES.includes(featuresFrom)) fail('featuresFrom', `must be 'config', 'stripe' or 'both' (got ${JSON.stringify(featuresFrom)})`, "Leave it out for 'config'.");
  const stripeFeatures = stringList('stripeFeatures', raw.stripeFeatures);
  if (featuresFrom === 'config' && stripeFeatures.length > 0) {
    fail('stripeFeatures', "is set while featuresFrom is 'config', which reads no feature from Stripe", "Set featuresFrom: 'stripe' (or 'both'), or remove stripeFeatures.");
  }
  if (featuresFrom !== 'config' && stripeFeatures.length === 0) {
    fail('stripeFeatures', `is empty while featuresFrom is '${featuresFrom}'`, "List the lookup keys of the Stripe features the app checks, e.g. stripeFeatures: ['export', 'sso'].");
  }
  const owners = new PriceOwners();
  const plans = readPlans(raw.plans, livemode, owners);
  return {
    livemode,
    catalog: new PlanCatalog(plans, livemode, {
      allowUnlistedPrices: base.allowUnlistedPrices ?? false,
      creditPacks: readCreditPacks(raw.creditPacks, owners),
      featuresFrom,
      stripeFeatures,
      revokeLifetimeOnPartialRefund: raw.revokeLifetimeOnPartialRefund ?? false,
    }),
    policy: {
      pastDueGraceSeconds: wholeNumber('pastDueGraceSeconds', raw.pastDueGraceSeconds, ENTITLEMENT_DEFAULTS.pastDueGraceSeconds, 0),
      denyPausedCollection: raw.denyPausedCollection ?? ENTITLEMENT_DEFAULTS.denyPausedCollection,
      staleAfterSeconds: wholeNumber('staleAfterSeconds', raw.staleAfterSeconds, ENTITLEMENT_DEFAULTS.staleAfterSeconds, 0),
    },
    refreshStaleRows: raw.refreshStaleRows ?? ENTITLEMENT_DEFAULTS.refreshStaleRows,
    cache: cacheOptions
      ? {
          ttlMs: wholeNumber('entitlementCache.ttlSeconds', cacheOptions.ttlSeconds, ENTITLEMENT_DEFAULTS.cacheTtlSeconds, 1) * 1000,
          maxEntries: wholeNumber('entitlementCache.maxEntries', cacheOptions.maxEntries, ENTITLEMENT_DEFAULTS.cacheMaxEntries, 1),
          invalidation,
          listenUrl,
        }
      : null,
    accountResolver: raw.accountResolver ?? defaultAccountResolver,
    deniedStatus: raw.deniedStatus ?? ENTITLEMENT_DEFAULTS.deniedStatus,
    subscribeUrl: raw.subscribeUrl,
    manageBillingUrl: raw.manageBillingUrl,
    orphanEmailRetentionDays: retention === undefined ? ENTITLEMENT_DEFAULTS.orphanEmailRetentionDays : retention,
    accountReferenceMetadataKey: base.accountReferenceMetadataKey,
    clock: base.clock,
  };
}

/** Which plan or pack each price id and lookup key belongs to: one owner each. */
class PriceOwners {
  private readonly owners = new Map<string, string>();

  claim(kind: string, value: string, option: string): void {
    const owner = this.owners.get(`${kind}:${value}`);
    if (owner) fail(option, `repeats the ${kind} "${value}" of ${ownerName(owner)}`, `A ${kind} may belong to one plan or credit pack only; remove one of them.`);
    this.owners.set(`${kind}:${value}`, option);
  }
}

/** `plans.pro` → `plan "pro"`, `creditPacks.p` → `credit pack "p"`. */
function ownerName(option: string): string {
  const [kind, ...name] = option.split('.');
  return `${kind === 'plans' ? 'plan' : 'credit pack'} "${name.join('.')}"`;
}

function readPlans(plans: unknown, livemode: boolean, owners: PriceOwners): PlanDefinition[] {
  if (plans === undefined) return [];
  if (typeof plans !== 'object' || plans === null || Array.isArray(plans)) {
    fail('plans', 'must be an object of named plans', "Write plans: { pro: { prices: { test: 'price_...' }, features: [...] } }.");
  }
  const claim = (kind: string, value: string, plan: string) => owners.claim(kind, value, `plans.${plan}`);
  return Object.entries(plans as Record<string, LitestripePlan>).map(([id, plan]) => {
    const option = `plans.${id}`;
    if (!PLAN_NAME.test(id)) fail(option, 'has a name Stripe metadata and URLs cannot carry', 'Use letters, digits, _ and - only.');
    if (typeof plan !== 'object' || plan === null || Array.isArray(plan)) fail(option, 'must be an object', 'Give { prices?, lookupKeys?, features?, limits? }.');
    const unknown = Object.keys(plan).find((key) => !PLAN_KEYS.has(key));
    if (unknown) fail(`${option}.${unknown}`, 'is not a plan option', `Use ${[...PLAN_KEYS].join(', ')}.`);
    const prices = perMode(`${option}.prices`, plan.prices);
    const metered = perMode(`${option}.meteredPrices`, plan.meteredPrices);
    const lifetime = perMode(`${option}.lifetimePrices`, plan.lifetimePrices);
    const definition: PlanDefinition = {
      id,
      name: plan.name === undefined ? id : nonEmptyString(`${option}.name`, plan.name),
      testPrices: stringList(`${option}.prices.test`, prices.test),
      livePrices: stringList(`${option}.prices.live`, prices.live),
      testMeteredPrices: stringList(`${option}.meteredPrices.test`, metered.test),
      liveMeteredPrices: stringList(`${option}.meteredPrices.live`, metered.live),
      testLifetimePrices: stringList(`${option}.lifetimePrices.test`, lifetime.test),
      liveLifetimePrices: stringList(`${option}.lifetimePrices.live`, lifetime.live),
      lookupKeys: stringList(`${option}.lookupKeys`, plan.lookupKeys),
      features: stringList(`${option}.features`, plan.features),
      limits: readLimitTable(`${option}.limits`, plan.limits),
    };
    const modePrices = livemode ? [...definition.livePrices, ...definition.liveLifetimePrices] : [...definition.testPrices, ...definition.testLifetimePrices];
    if (modePrices.length === 0 && definition.lookupKeys.length === 0) {
      const mode = livemode ? 'live' : 'test';
      fail(option, `has no ${mode}-mode price and no lookup key`, `Add prices.${mode} (the price ids of this plan in ${mode} mode), lifetimePrices.${mode} or lookupKeys.`);
    }
    definition.testPrices.forEach((price) => claim('price', price, id));
    definition.livePrices.forEach((price) => claim('price', price, id));
    [...definition.testMeteredPrices, ...definition.liveMeteredPrices].forEach((price) => claim('price', price, id));
    [...definition.testLifetimePrices, ...definition.liveLifetimePrices].forEach((price) => claim('price', price, id));
    definition.lookupKeys.forEach((key) => claim('lookup key', key, id));
    return definition;
  });
}

function readCreditPacks(packs: unknown, owners: PriceOwners): CreditPackDefinition[] {
  if (packs === undefined) return [];
  if (typeof packs !== 'object' || packs === null || Array.isArray(packs)) {
    fail('creditPacks', 'must be an object of named credit packs', "Write creditPacks: { exports_100: { prices: { test: 'price_...' }, credits: { exports: 100 } } }.");
  }
  return Object.entries(packs as Record<string, LitestripeCreditPack>).map(([id, pack]) => {
    const option = `creditPacks.${id}`;
    if (!PLAN_NAME.test(id)) fail(option, 'has a name Stripe metadata and URLs cannot carry', 'Use letters, digits, _ and - only.');
    if (typeof pack !== 'object' || pack === null || Array.isArray(pack)) fail(option, 'must be an object', 'Give { name?, prices, credits }.');
    const unknown = Object.keys(pack).find((key) => !PACK_KEYS.has(key));
    if (unknown) fail(`${option}.${unknown}`, 'is not a credit pack option', `Use ${[...PACK_KEYS].join(', ')}.`);
    const prices = perMode(`${option}.prices`, pack.prices);
    const definition: CreditPackDefinition = {
      id,
      name: pack.name === undefined ? id : nonEmptyString(`${option}.name`, pack.name),
      testPrices: stringList(`${option}.prices.test`, prices.test),
      livePrices: stringList(`${option}.prices.live`, prices.live),
      credits: readCredits(`${option}.credits`, pack.credits),
    };
    if (definition.testPrices.length + definition.livePrices.length === 0) fail(`${option}.prices`, 'lists no price', "Give the pack's one-time price ids: { test: 'price_...', live: 'price_...' }.");
    [...definition.testPrices, ...definition.livePrices].forEach((price) => owners.claim('price', price, option));
    return definition;
  });
}

function readCredits(option: string, credits: unknown): Record<string, number> {
  if (typeof credits !== 'object' || credits === null || Array.isArray(credits) || Object.keys(credits).length === 0) {
    fail(option, 'must name at least one metric', 'Give credits per unit bought, e.g. { exports: 100 }.');
  }
  for (const [metric, count] of Object.entries(credits as Record<string, unknown>)) {
    if (!METRIC_NAME.test(metric)) fail(`${option}.${metric}`, 'is not a metric name', 'Use letters, digits, _ . : and - (at most 100), as in usage.metrics.');
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) fail(`${option}.${metric}`, `must be a whole number >= 1 (got ${JSON.stringify(count)})`, 'Credits are whole units of the metric.');
  }
  return { ...(credits as Record<string, number>) };
}

function perMode(option: string, value: unknown): { test?: string | string[]; live?: string | string[] } {
  const prices = value ?? {};
  if (typeof prices !== 'object' || prices === null || Array.isArray(prices) || Object.keys(prices).some((k) => k !== 'test' && k !== 'live')) {
    fail(option, 'must be { test?, live? }', "Give price ids per mode: { test: 'price_...', live: ['price_...'] }.");
  }
  return prices as { test?: string | string[]; live?: string | string[] };
}

function stringList(option: string, value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((item) => nonEmptyString(option, item));
  if (new Set(list).size !== list.length) fail(option, 'repeats an entry', 'List each entry once.');
  return list as string[];
}

function nonEmptyString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value !== value.trim()) {
    fail(option, `must be non-empty strings without surrounding spaces (got ${JSON.stringify(value)})`, 'Check for a missing value or a stray space.');
  }
  return value as string;
}

function wholeNumber(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(option, `must be a whole number >= ${min} (got ${JSON.stringify(value)})`, `Leave it out for the default, ${fallback}.`);
  }
  return value as number;
}

function fail(option: string, problem: string, remedy: string): never {
  throw new LitestripeConfigError(option, problem, remedy);
}
