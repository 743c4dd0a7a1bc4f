import { SubscriptionChangesListener } from '@litestripe/nestjs/access/subscription-changes.listener';
import { LitestripeSubscriptionChanges1764500000000 } from '@litestripe/nestjs';
import { SubscriptionRowChanges } from '@litestripe/nestjs/common/subscription-row-changes';
import { BillingHost, plansFor, startBillingHost } from './support/billing-host';
import { announced, caughtUp } from './support/row-changes';

/**
 * Two instances of one app on one database, each with the entitlement cache (the default): a
 * change committed through A reaches B's cache as PostgreSQL's notification, and B's listen
 * connection failing leaves B reading the database, never its cache.
 */
describe('the entitlement cache across two instances', () => {
  let a: BillingHost;
  let b: BillingHost;

  beforeAll(async () => {
    a = await startBillingHost();
    b = await startBillingHost({ options: { plans: plansFor(a.prices) } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });
  beforeEach(() => a.reset());

  const announcedOnB = (accountRef: string) => announced(b.app, accountRef);

  const listenerOfB = () => b.app.get(SubscriptionChangesListener, { strict: false });

  it('serves B from its cache, and B denies once the cancellation made through A is announced', async () => {
    const { subscription } = await a.subscribe('acct_1', { plan: 'basic' });
    await caughtUp(b.app);
    expect((await b.service.getEntitlement('acct_1')).entitled).toBe(true);
    expect(b.service.peekEntitlement('acct_1')?.entitled).toBe(true);

    const announced = announcedOnB('acct_1');
    await a.billing.cancel({ subscriptionId: subscription!.id }, { atPeriodEnd: false });
    // A answers from its own commit at once: read-your-writes on the writing instance.
    expect(a.service.peekEntitlement('acct_1')).toBeUndefined();
    expect((await a.service.getEntitlement('acct_1')).reason).toBe('canceled');

    await announced;
    expect(b.service.peekEntitlement('acct_1')).toBeUndefined();
    expect(await b.service.getEntitlement('acct_1')).toMatchObject({ entitled: false, reason: 'canceled' });
  });

  it('tells when B has received every change committed so far (what a test awaits before expecting a lookup cached)', async () => {
    await a.subscribe('acct_5', { plan: 'basic' });
    await caughtUp(b.app);
    let received = false;
    const stop = b.app.get(SubscriptionRowChanges, { strict: false }).subscribe(() => (received = true));
    await a.dataSource.query(`UPDATE litestripe_subscription SET status = 'canceled' WHERE account_ref = 'acct_5'`);
    await caughtUp(b.app);
    stop();
    expect(received).toBe(true);
  });

  it('moves a relinked subscription out of the old account’s cached rows on B', async () => {
    const { subscription } = await a.subscribe('acct_old', { plan: 'basic' });
    expect((await b.service.getEntitlement('acct_old')).entitled).toBe(true);
    expect((await b.service.getEntitlement('acct_new')).entitled).toBe(false);
    const both = Promise.all([announcedOnB('acct_old'), announcedOnB('acct_new')]);
    await a.billing.relinkSubscription(subscription!.id, 'acct_new');
    await both;
    expect((await b.service.getEntitlement('acct_old')).entitled).toBe(false);
    expect((await b.service.getEntitlement('acct_new')).entitled).toBe(true);
  });

  it('never serves a stale grant while its listen connection is down, and caches again once it listens', async () => {
    const { subscription } = await a.subscribe('acct_2', { plan: 'basic' });
    expect((await b.service.getEntitlement('acct_2')).entitled).toBe(true);
    const listener = listenerOfB();
    const pid = listener.backendPid;
    expect(pid).toEqual(expect.any(Number));

    const lost = listener.next('lost');
    await a.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    await lost;
    expect(b.service.peekEntitlement('acct_2')).toBeUndefined();
    expect((await b.service.getEntitlement('acct_2')).entitled).toBe(true);
    expect(b.service.peekEntitlement('acct_2')).toBeUndefined(); // read from the database, not kept

    // A change B cannot be told of: B still decides on the committed row.
    await a.billing.cancel({ subscriptionId: subscription!.id }, { atPeriodEnd: false });
    expect(await b.service.getEntitlement('acct_2')).toMatchObject({ entitled: false, reason: 'canceled' });

    await listener.next('listening');
    expect(listener.backendPid).not.toBe(pid);
    const { subscription: again } = await a.subscribe('acct_3', { plan: 'basic' });
    await caughtUp(b.app);
    expect((await b.service.getEntitlement('acct_3')).entitled).toBe(true);
    expect(b.service.peekEntitlement('acct_3')?.entitled).toBe(true);
    const announced = announcedOnB('acct_3');
    await a.billing.cancel({ subscriptionId: again!.id }, { atPeriodEnd: false });
    await announced;
    expect((await b.service.getEntitlement('acct_3')).entitled).toBe(false);
  });

  it('empties B’s cache when the table is truncated by hand', async () => {
    await a.subscribe('acct_4', { plan: 'basic' });
    expect((await b.service.getEntitlement('acct_4')).entitled).toBe(true);
    const everyAccount = announcedOnB('every account');
    await a.dataSource.query('TRUNCATE litestripe_subscription');
    await everyAccount;
    expect(b.service.peekEntitlement('acct_4')).toBeUndefined();
    expect((await b.service.getEntitlement('acct_4')).entitled).toBe(false);
  });

  it('never trusts its cache on a database without the trigger migration (nothing would announce changes)', async () => {
    const migration = new LitestripeSubscriptionChanges1764500000000();
    const runner = a.dataSource.createQueryRunner();
    await migration.down(runner);
    let c: BillingHost | undefined;
    try {
      c = await startBillingHost({ options: { plans: plansFor(a.prices) } });
      await a.subscribe('acct_5', { plan: 'basic' });
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

