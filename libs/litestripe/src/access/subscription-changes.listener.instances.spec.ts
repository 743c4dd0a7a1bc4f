import { BillingHost, plansFor, startBillingHost, twoInstancesOfOneApp } from '../../../../test/support/billing-host';
import { entitlementCacheCaughtUp, subscriptionRowsChanged } from '../testing/app-state.js';
import { SubscriptionRowChanges } from '../common/subscription-row-changes.js';
import { LitestripeSubscriptionChanges1764500000000 } from '../migrations/1764500000000-litestripe-subscription-changes.js';
import { SubscriptionChangesListener } from './subscription-changes.listener.js';

/**
 * The listen connection of the entitlement cache, white-box, with two instances of one app on one
 * PostgreSQL database: what the listener tells (`caughtUp`), its connection lost and back, and a
 * database without the trigger. (Moved from test/cache-coherence.e2e-spec.ts, which keeps what a
 * host observes: the listener and the row changes are not part of the API.)
 */
describe('the listen connection of the entitlement cache, across two instances', () => {
  const hosts = twoInstancesOfOneApp();

  const listenerOfB = () => hosts.b.app.get(SubscriptionChangesListener, { strict: false });

  it('tells when B has received every change committed so far (what a test awaits before expecting a lookup cached)', async () => {
    await hosts.a.subscribe('acct_5', { plan: 'basic' });
    await entitlementCacheCaughtUp(hosts.b.app);
    let received = false;
    const stop = hosts.b.app.get(SubscriptionRowChanges, { strict: false }).subscribe(() => (received = true));
    await hosts.a.dataSource.query(`UPDATE litestripe_subscription SET status = 'canceled' WHERE account_ref = 'acct_5'`);
    await entitlementCacheCaughtUp(hosts.b.app);
    stop();
    expect(received).toBe(true);
  });

  it('never serves a stale grant while its listen connection is down, and caches again once it listens', async () => {
    const { subscription } = await hosts.a.subscribe('acct_2', { plan: 'basic' });
    expect((await hosts.b.service.getEntitlement('acct_2')).entitled).toBe(true);
    const listener = listenerOfB();
    const pid = listener.backendPid;
    expect(pid).toEqual(expect.any(Number));

    const lost = listener.next('lost');
    await hosts.a.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    await lost;
    expect(hosts.b.service.peekEntitlement('acct_2')).toBeUndefined();
    expect((await hosts.b.service.getEntitlement('acct_2')).entitled).toBe(true);
    expect(hosts.b.service.peekEntitlement('acct_2')).toBeUndefined(); // read from the database, not kept

    // A change B cannot be told of: B still decides on the committed row.
    await hosts.a.billing.cancel({ subscriptionId: subscription!.id }, { atPeriodEnd: false });
    expect(await hosts.b.service.getEntitlement('acct_2')).toMatchObject({ entitled: false, reason: 'canceled' });

    await listener.next('listening');
    expect(listener.backendPid).not.toBe(pid);
    const { subscription: again } = await hosts.a.subscribe('acct_3', { plan: 'basic' });
    await entitlementCacheCaughtUp(hosts.b.app);
    expect((await hosts.b.service.getEntitlement('acct_3')).entitled).toBe(true);
    expect(hosts.b.service.peekEntitlement('acct_3')?.entitled).toBe(true);
    const told = subscriptionRowsChanged(hosts.b.app, 'acct_3');
    await hosts.a.billing.cancel({ subscriptionId: again!.id }, { atPeriodEnd: false });
    await told;
    expect((await hosts.b.service.getEntitlement('acct_3')).entitled).toBe(false);
  });

  it('never trusts its cache on a database without the trigger migration (nothing would announce changes)', async () => {
    const migration = new LitestripeSubscriptionChanges1764500000000();
    const runner = hosts.a.dataSource.createQueryRunner();
    await migration.down(runner);
    let c: BillingHost | undefined;
    try {
      c = await startBillingHost({ options: { plans: plansFor(hosts.a.prices) } });
      await hosts.a.subscribe('acct_5', { plan: 'basic' });
      expect((await c.service.getEntitlement('acct_5')).entitled).toBe(true);
      expect(c.service.peekEntitlement('acct_5')).toBeUndefined();
      expect(c.app.get(SubscriptionChangesListener, { strict: false }).backendPid).toBeNull();
    } finally {
      await c?.close();
      await migration.up(runner);
      await runner.release();
    }
  });
});
