import { LitestripeEvents, StripeSubscription } from '@litestripe/nestjs';
import { buildStripeEvent } from '@litestripe/nestjs/testing';
import { LogCapture } from './support/log-capture';
import { storedCounts } from './support/raw-webhook';
import { SubscriptionScenario, T0 } from './support/scenario';
import { Adapter, createTestApp, TestApp } from './support/test-app';
import { truncateTables } from './support/test-database';

/** Signed is not trusted: what a correctly signed event may not do, over real HTTP on both adapters. */
describe.each<Adapter>(['express', 'fastify'])('trust boundaries of the webhook on %s', (adapter) => {
  let t: TestApp;
  const contexts: unknown[] = [];
  const logs = new LogCapture();
  beforeAll(async () => {
    t = await createTestApp({
      adapter,
      options: {
        validateClientReference: (reference, context) => {
          contexts.push({ reference, ...context });
          return true;
        },
      },
    });
    logs.install();
  });
  afterAll(async () => {
    logs.uninstall();
    await t.close();
  });
  beforeEach(async () => {
    t.recorder.clear();
    contexts.length = 0;
    logs.lines.length = 0;
    await truncateTables(t.dataSource);
  });

  const row = (id: string) => t.dataSource.getRepository(StripeSubscription).findOneBy({ id });
  const logged = async (id: string) => (await t.dataSource.query('SELECT "outcome", "livemode", "account" FROM litestripe_event WHERE "id" = $1', [id]))[0];

  describe('an event of the other mode', () => {
    it('is recorded as wrong_mode, answered 200, and changes nothing: no row, orphan, customer link or domain event', async () => {
      const s = new SubscriptionScenario('current', { livemode: true });
      const live = (event: ReturnType<SubscriptionScenario['checkout']>) => Object.assign(event, { livemode: true });
      const checkout = live(s.checkout({ clientReferenceId: null, email: 'payer@example.com' }, T0));
      const created = live(s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_victim' } }, T0));
      for (const event of [checkout, created]) {
        const response = await t.deliver(event);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ received: true, outcome: 'wrong_mode' });
        expect(await logged(event.id)).toEqual({ outcome: 'wrong_mode', livemode: true, account: null });
      }
      expect(await storedCounts(t.dataSource)).toEqual({ events: 2, subscriptions: 0, orphans: 0 });
      expect(await t.dataSource.query('SELECT * FROM litestripe_customer')).toEqual([]);
      expect(t.recorder.names()).toEqual([]);
      expect(contexts).toEqual([]); // the host's hook is not even asked
      // A redelivery is a duplicate, like any recorded event.
      expect((await t.deliver(created)).body.outcome).toBe('duplicate');
      // One warning for both, naming the likely misconfiguration.
      const warnings = logs.messages('warn').filter((m) => m.includes('live-mode event'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/live endpoint's signing secret is configured in this test app/);
      expect(warnings[0]).toMatch(/wrong_mode/);
    });

    it('is warned about once per process, not once per event', async () => {
      for (let i = 0; i < 3; i++) {
        const s = new SubscriptionScenario();
        expect((await t.deliver(Object.assign(s.subscription('updated', { status: 'active' }, T0), { livemode: true }))).body.outcome).toBe('wrong_mode');
      }
      expect(logs.messages('warn')).toEqual([]);
    });
  });

  describe('an event of a connected account', () => {
    it('is recorded as connected_account, answered 200, and grants nothing to the platform’s accounts', async () => {
      const s = new SubscriptionScenario();
      const event = buildStripeEvent('customer.subscription.created', s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_platform_user' } }, T0).data.object as unknown as Record<string, unknown>, {
        created: T0,
        account: 'acct_1Connected',
      });
      const response = await t.deliver(event);
      expect(response.status).toBe(200);
      expect(response.body.outcome).toBe('connected_account');
      expect(await logged(event.id)).toEqual({ outcome: 'connected_account', livemode: false, account: 'acct_1Connected' });
      expect(await row(s.subscriptionId)).toBeNull();
      expect(t.recorder.names()).toEqual([]);
      const warnings = logs.messages('warn').filter((m) => m.includes('connected account'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/acct_1Connected.*Connect endpoint sends events here.*connectedAccounts: 'record'/s);
    });
  });

  describe('account links', () => {
    it('keep the first link: a later subscription event naming another account is a link_conflict, not a move', async () => {
      const s = new SubscriptionScenario();
      await t.deliver(s.checkout({ clientReferenceId: 'acct_owner' }, T0));
      await t.deliver(s.subscription('created', { status: 'active' }, T0));
      t.recorder.clear();

      const hijack = s.subscription('updated', { status: 'active', metadata: { client_reference_id: 'acct_attacker' } }, T0 + 5);
      const response = await t.deliver(hijack);
      expect(response.body.outcome).toBe('link_conflict');
      expect(await logged(hijack.id)).toMatchObject({ outcome: 'link_conflict' });
      expect(await row(s.subscriptionId)).toMatchObject({ accountRef: 'acct_owner', eventCreated: T0 + 5 });
      expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated, LitestripeEvents.SubscriptionLinkConflict]);
      expect(t.recorder.events.at(-1)?.payload).toMatchObject({
        accountRef: 'acct_owner',
        claimedAccountRef: 'acct_attacker',
        source: 'subscription_metadata',
        subscription: { id: s.subscriptionId, accountRef: 'acct_owner' },
        stripeEvent: { id: hijack.id },
      });
      // The hook was told which account the subscription is linked to now.
      expect(contexts.at(-1)).toMatchObject({ reference: 'acct_attacker', source: 'subscription_metadata', currentAccountRef: 'acct_owner' });
    });

    it('keep the first link against a checkout naming another account, whichever arrives first', async () => {
      const s = new SubscriptionScenario();
      await t.deliver(s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_meta' } }, T0));
      const checkout = s.checkout({ clientReferenceId: 'acct_other' }, T0 + 1);
      expect((await t.deliver(checkout)).body.outcome).toBe('link_conflict');
      expect(await row(s.subscriptionId)).toMatchObject({ accountRef: 'acct_meta' });
      expect(t.recorder.names()).toContain(LitestripeEvents.SubscriptionLinkConflict);
      expect(t.recorder.names().filter((n) => n === LitestripeEvents.SubscriptionActivated)).toHaveLength(1);
      expect(contexts.at(-1)).toMatchObject({ reference: 'acct_other', source: 'checkout', checkoutSessionId: s.checkoutSessionId, currentAccountRef: 'acct_meta' });
    });

    it('report nothing when the events agree on the account', async () => {
      const s = new SubscriptionScenario();
      await t.deliver(s.checkout({ clientReferenceId: 'acct_same' }, T0));
      expect((await t.deliver(s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_same' } }, T0))).body.outcome).toBe('processed');
      expect(t.recorder.names()).not.toContain(LitestripeEvents.SubscriptionLinkConflict);
      expect(contexts[0]).toMatchObject({ source: 'checkout', currentAccountRef: null });
    });

    it('never link a Stripe customer to the account a webhook names', async () => {
      const s = new SubscriptionScenario();
      await t.deliver(s.checkout({ clientReferenceId: 'acct_victim' }, T0));
      await t.deliver(s.subscription('created', { status: 'active' }, T0));
      expect(await row(s.subscriptionId)).toMatchObject({ accountRef: 'acct_victim', customerId: s.customerId });
      expect(await t.dataSource.query('SELECT * FROM litestripe_customer')).toEqual([]);
    });
  });

  it('stores an email-like rejected reference only as a keyed hash', async () => {
    const s = new SubscriptionScenario();
    await t.deliver(s.checkout({ clientReferenceId: 'Payer@Example.com', email: null }, T0));
    const [orphan] = await t.dataSource.query('SELECT "reason", "rejected_reference" FROM litestripe_orphaned_payment');
    expect(orphan.reason).toBe('invalid_reference');
    expect(orphan.rejected_reference).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(await t.dataSource.query('SELECT * FROM litestripe_orphaned_payment'))).not.toMatch(/example\.com/i);
    const other = new SubscriptionScenario();
    await t.deliver(other.checkout({ clientReferenceId: 'not an id!', email: null }, T0));
    const kept = await t.dataSource.query(`SELECT "rejected_reference" FROM litestripe_orphaned_payment WHERE "checkout_session_id" = $1`, [other.checkoutSessionId]);
    expect(kept).toEqual([{ rejected_reference: 'not an id!' }]);
  });
});

describe('a live app receiving test-mode events', () => {
  let t: TestApp;
  const logs = new LogCapture();
  beforeAll(async () => {
    t = await createTestApp({ options: { secretKey: 'sk_live_litestripe', connectedAccounts: 'record' } });
    logs.install();
  });
  afterAll(async () => {
    logs.uninstall();
    await t.close();
  });

  it('records them as wrong_mode and warns that a test endpoint’s secret is configured in the live app', async () => {
    const s = new SubscriptionScenario();
    const response = await t.deliver(s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_1' } }, T0));
    expect(response.body.outcome).toBe('wrong_mode');
    expect(await t.dataSource.getRepository(StripeSubscription).count()).toBe(0);
    expect(logs.messages('warn').join('\n')).toMatch(/test-mode event, but the module runs with a live key: a test endpoint's signing secret is configured in this live app/);
  });

  it('with connectedAccounts: record, records a connected account’s event without a warning, and still applies nothing', async () => {
    const s = new SubscriptionScenario('current', { livemode: true });
    const object = s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_1' } }, T0).data.object as unknown as Record<string, unknown>;
    const event = buildStripeEvent('customer.subscription.created', object, { created: T0, livemode: true, account: 'acct_1Connected' });
    logs.lines.length = 0;
    expect((await t.deliver(event)).body.outcome).toBe('connected_account');
    expect(await t.dataSource.getRepository(StripeSubscription).count()).toBe(0);
    expect(logs.messages('warn')).toEqual([]);
  });
});
