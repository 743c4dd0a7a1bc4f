import { LitestripeEvents, OrphanedPayment, StripeSubscription } from '@litestripe/nestjs';
import { SubscriptionScenario, T0 } from './support/scenario';
import { createTestApp, Registration, TestApp } from './support/test-app';

describe.each<Registration>(['forRoot', 'forRootAsync'])('account references with %s', (registration) => {
  let t: TestApp;
  const validated: string[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      registration,
      options: {
        accountReferenceMetadataKey: 'account_id',
        metadataKeys: ['plan', 'campaign'],
        validateClientReference: async (reference, context) => {
          validated.push(`${context.source}:${reference}`);
          return !reference.startsWith('ghost');
        },
      },
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.recorder.clear());

  const row = (id: string) => t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id });
  const orphan = (checkoutSessionId: string) => t.dataSource.getRepository(OrphanedPayment).findOneBy({ checkoutSessionId });

  it('links a checkout’s client_reference_id and emits activated once the subscription is active', async () => {
    const s = new SubscriptionScenario();
    await t.deliver(s.subscription('created', { status: 'active' }, T0));
    expect(t.recorder.names()).not.toContain(LitestripeEvents.SubscriptionActivated);
    await t.deliver(s.checkout({ clientReferenceId: 'acct_7' }, T0 + 1));
    expect((await row(s.subscriptionId)).accountRef).toBe('acct_7');
    expect(t.recorder.names()).toEqual([
      LitestripeEvents.SubscriptionCreated,
      LitestripeEvents.SubscriptionUpdated,
      LitestripeEvents.SubscriptionActivated,
      LitestripeEvents.CheckoutCompleted,
    ]);
    expect(await orphan(s.checkoutSessionId)).toBeNull();
    expect(validated).toContain('checkout:acct_7');
  });

  it.each([
    ['no reference', null, 'missing_reference'],
    ['a reference Stripe would drop', 'acct 7; drop table', 'invalid_reference'],
    ['a reference the host rejects', 'ghost_1', 'rejected_reference'],
  ])('records an orphan with the email for a checkout with %s', async (_label, reference, reason) => {
    const s = new SubscriptionScenario();
    await t.deliver(s.checkout({ clientReferenceId: reference, email: 'payer@example.com', amountTotal: 4900 }, T0));
    await t.deliver(s.subscription('created', { status: 'active' }, T0));
    expect(await orphan(s.checkoutSessionId)).toMatchObject({
      email: 'payer@example.com',
      subscriptionId: s.subscriptionId,
      customerId: s.customerId,
      amount: 4900,
      reason,
      resolvedAt: null,
    });
    expect((await row(s.subscriptionId)).accountRef).toBeNull();
    const orphaned = t.recorder.events.find((e) => e.name === LitestripeEvents.PaymentOrphaned);
    expect(orphaned?.payload).toMatchObject({ reason, subscriptionId: s.subscriptionId });
    expect(JSON.stringify(orphaned?.payload)).not.toContain('payer@example.com');
    expect(t.recorder.names()).not.toContain(LitestripeEvents.SubscriptionActivated);
  });

  it('takes the account from subscription metadata under the configured key', async () => {
    const s = new SubscriptionScenario();
    await t.deliver(s.subscription('created', { status: 'trialing', metadata: { account_id: 'acct_meta', plan: 'pro', secret_note: 'x' } }, T0));
    expect(await row(s.subscriptionId)).toMatchObject({ accountRef: 'acct_meta', metadata: { subscription: { plan: 'pro' } } });
    expect(t.recorder.names()).toContain(LitestripeEvents.SubscriptionActivated);
    expect(validated).toContain('subscription_metadata:acct_meta');
  });

  it('does not link a metadata reference the host rejects', async () => {
    const s = new SubscriptionScenario();
    await t.deliver(s.subscription('created', { status: 'active', metadata: { account_id: 'ghost_meta' } }, T0));
    expect((await row(s.subscriptionId)).accountRef).toBeNull();
  });

  it('keeps only the allowed metadata keys, namespaced by source', async () => {
    const s = new SubscriptionScenario();
    await t.deliver(s.checkout({ clientReferenceId: 'acct_m', metadata: { campaign: 'fall', internal: 'no' } }, T0));
    await t.deliver(s.subscription('created', { status: 'active', metadata: { plan: 'team', other: 'no' } }, T0));
    expect((await row(s.subscriptionId)).metadata).toEqual({ checkout: { campaign: 'fall' }, subscription: { plan: 'team' } });
  });

  it('ignores checkouts that are not for a subscription', async () => {
    const s = new SubscriptionScenario();
    const event = s.checkout({ clientReferenceId: 'acct_p' }, T0);
    (event.data.object as any).mode = 'payment';
    (event.data.object as any).subscription = null;
    const res = await t.deliver(event);
    expect(res.body.outcome).toBe('ignored');
    expect(await t.dataSource.getRepository(StripeSubscription).countBy({ accountRef: 'acct_p' })).toBe(0);
  });
});
