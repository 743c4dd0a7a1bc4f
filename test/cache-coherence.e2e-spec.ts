import { twoInstancesOfOneApp } from './support/billing-host';
import { entitlementCacheCaughtUp, subscriptionRowsChanged } from '@litestripe/nestjs/testing';

/**
 * Two instances of one app on one database, each with the entitlement cache (the default): a
 * change committed through A reaches B's cache as PostgreSQL's notification. (What B does while
 * its listen connection is down, or without the trigger, is tested next to the listener:
 * libs/litestripe/src/access/subscription-changes.listener.instances.spec.ts.)
 */
describe('the entitlement cache across two instances', () => {
  const hosts = twoInstancesOfOneApp();

  const announcedOnB = (accountRef: string) => subscriptionRowsChanged(hosts.b.app, accountRef);

  it('serves B from its cache, and B denies once the cancellation made through A is announced', async () => {
    const { subscription } = await hosts.a.subscribe('acct_1', { plan: 'basic' });
    await entitlementCacheCaughtUp(hosts.b.app);
    expect((await hosts.b.service.getEntitlement('acct_1')).entitled).toBe(true);
    expect(hosts.b.service.peekEntitlement('acct_1')?.entitled).toBe(true);

    const announced = announcedOnB('acct_1');
    await hosts.a.billing.cancel({ subscriptionId: subscription!.id }, { atPeriodEnd: false });
    // A answers from its own commit at once: read-your-writes on the writing instance.
    expect(hosts.a.service.peekEntitlement('acct_1')).toBeUndefined();
    expect((await hosts.a.service.getEntitlement('acct_1')).reason).toBe('canceled');

    await announced;
    expect(hosts.b.service.peekEntitlement('acct_1')).toBeUndefined();
    expect(await hosts.b.service.getEntitlement('acct_1')).toMatchObject({ entitled: false, reason: 'canceled' });
  });

  it('moves a relinked subscription out of the old account’s cached rows on B', async () => {
    const { subscription } = await hosts.a.subscribe('acct_old', { plan: 'basic' });
    expect((await hosts.b.service.getEntitlement('acct_old')).entitled).toBe(true);
    expect((await hosts.b.service.getEntitlement('acct_new')).entitled).toBe(false);
    const both = Promise.all([announcedOnB('acct_old'), announcedOnB('acct_new')]);
    await hosts.a.billing.relinkSubscription(subscription!.id, 'acct_new');
    await both;
    expect((await hosts.b.service.getEntitlement('acct_old')).entitled).toBe(false);
    expect((await hosts.b.service.getEntitlement('acct_new')).entitled).toBe(true);
  });

  it('empties B’s cache when the table is truncated by hand', async () => {
    await hosts.a.subscribe('acct_4', { plan: 'basic' });
    expect((await hosts.b.service.getEntitlement('acct_4')).entitled).toBe(true);
    const everyAccount = announcedOnB('every account');
    await hosts.a.dataSource.query('TRUNCATE litestripe_subscription');
    await everyAccount;
    expect(hosts.b.service.peekEntitlement('acct_4')).toBeUndefined();
    expect((await hosts.b.service.getEntitlement('acct_4')).entitled).toBe(false);
  });
});
