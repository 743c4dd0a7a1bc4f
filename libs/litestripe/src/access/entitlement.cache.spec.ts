import { SubscriptionRowChanges } from '../common/subscription-row-changes.js';
import type { ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { EntitlementCache } from './entitlement.cache.js';
import type { SubscriptionRowsReader } from './subscription-rows.reader.js';

/** A reader whose queries the test answers by hand, in any order. */
class HeldReader {
  readonly queries: { accountRef: string; answer: (rows: StripeSubscription[]) => void }[] = [];
  ofAccount(accountRef: string): Promise<StripeSubscription[]> {
    return new Promise((resolve) => this.queries.push({ accountRef, answer: resolve }));
  }
}

const row = (id: string) => ({ id, accountRef: 'acct_1', status: 'active' }) as StripeSubscription;

function cacheWith(cache: ResolvedEntitlementOptions['cache'] = { ttlMs: 60_000, maxEntries: 100, invalidation: 'auto' }) {
  const reader = new HeldReader();
  const changes = new SubscriptionRowChanges();
  const entitlementCache = new EntitlementCache({ cache } as ResolvedEntitlementOptions, reader as unknown as SubscriptionRowsReader, changes);
  entitlementCache.onModuleInit();
  return { cache: entitlementCache, reader, changes };
}

describe('EntitlementCache', () => {
  it('caches nothing until the listener trusts it, then serves rows without a query', async () => {
    const { cache, reader } = cacheWith();
    const first = cache.rowsOf('acct_1');
    reader.queries[0].answer([row('sub_1')]);
    await first;
    expect(cache.peek('acct_1')).toBeUndefined();

    cache.resume(Infinity);
    const second = cache.rowsOf('acct_1');
    reader.queries[1].answer([row('sub_1')]);
    await second;
    expect(cache.peek('acct_1')).toEqual([row('sub_1')]);
    expect(await cache.rowsOf('acct_1')).toEqual([row('sub_1')]);
    expect(reader.queries).toHaveLength(2);
  });

  it('shares one query among concurrent lookups of an account', async () => {
    const { cache, reader } = cacheWith(null);
    const lookups = [cache.rowsOf('acct_1'), cache.rowsOf('acct_1'), cache.rowsOf('acct_2')];
    expect(reader.queries.map((q) => q.accountRef)).toEqual(['acct_1', 'acct_2']);
    reader.queries[0].answer([row('sub_1')]);
    reader.queries[1].answer([]);
    expect(await Promise.all(lookups)).toEqual([[row('sub_1')], [row('sub_1')], []]);
  });

  it('does not store a load that a change overtook, and a lookup after the change does not join it', async () => {
    const { cache, reader, changes } = cacheWith();
    cache.resume(Infinity);
    const before = cache.rowsOf('acct_1');
    changes.announce({ accountRefs: ['acct_1'] });
    const after = cache.rowsOf('acct_1');
    expect(reader.queries).toHaveLength(2);
    reader.queries[0].answer([row('sub_old')]);
    expect(await before).toEqual([row('sub_old')]);
    expect(cache.peek('acct_1')).toBeUndefined();
    reader.queries[1].answer([row('sub_new')]);
    expect(await after).toEqual([row('sub_new')]);
    expect(cache.peek('acct_1')).toEqual([row('sub_new')]);
  });

  it('does not store a load begun before the cache was emptied, even once trusted again', async () => {
    const { cache, reader } = cacheWith();
    cache.resume(Infinity);
    const during = cache.rowsOf('acct_1');
    cache.distrust();
    cache.resume(Infinity);
    reader.queries[0].answer([row('sub_1')]);
    await during;
    expect(cache.peek('acct_1')).toBeUndefined();
  });

  it('drops every account on distrust and when its trust lapses', async () => {
    const { cache, reader } = cacheWith();
    cache.resume(Infinity);
    const load = cache.rowsOf('acct_1');
    reader.queries[0].answer([row('sub_1')]);
    await load;
    cache.distrust();
    expect(cache.peek('acct_1')).toBeUndefined();

    cache.resume(Infinity);
    const again = cache.rowsOf('acct_1');
    reader.queries[1].answer([row('sub_1')]);
    await again;
    expect(cache.peek('acct_1')).toBeDefined();
    cache.trustUntil(0); // the heartbeat's vouching ran out
    expect(cache.peek('acct_1')).toBeUndefined();
    cache.trustUntil(Infinity);
    expect(cache.peek('acct_1')).toBeUndefined();
  });

  it('empties itself when every account changed', async () => {
    const { cache, reader, changes } = cacheWith();
    cache.resume(Infinity);
    const load = cache.rowsOf('acct_1');
    reader.queries[0].answer([row('sub_1')]);
    await load;
    changes.announce({ everyAccount: true });
    expect(cache.peek('acct_1')).toBeUndefined();
  });
});
