import { SubscriptionRowChanges } from '../common/subscription-row-changes.js';
import type { ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import type { DataSource } from 'typeorm';
import type { EntitlementCache } from './entitlement.cache.js';
import { SubscriptionChangesListener } from './subscription-changes.listener.js';

/** The listener's choices at start-up that need no server: a custom driver (embedded PGlite) cannot be listened on. */
describe('SubscriptionChangesListener at start-up', () => {
  const pgliteDataSource = { options: { type: 'postgres', driver: {} } } as unknown as DataSource;
  const trusted: number[] = [];
  const cache = { trustUntil: (until: number) => trusted.push(until) } as unknown as EntitlementCache;
  const listener = (invalidation: 'auto' | 'listen' | 'in-process') =>
    new SubscriptionChangesListener({ cache: { ttlMs: 1000, maxEntries: 10, invalidation } } as ResolvedEntitlementOptions, pgliteDataSource, cache, new SubscriptionRowChanges());

  beforeEach(() => (trusted.length = 0));

  it('trusts announcements made in this process when there is no server to listen on', async () => {
    await listener('auto').onModuleInit();
    expect(trusted).toEqual([Infinity]);
  });

  it('refuses invalidation "listen" without a server to listen on, saying what to set', async () => {
    const start = listener('listen').onModuleInit();
    await expect(start).rejects.toThrow(LitestripeConfigError);
    await expect(listener('listen').onModuleInit()).rejects.toThrow(/listenUrl/);
    expect(trusted).toEqual([]);
  });
});
