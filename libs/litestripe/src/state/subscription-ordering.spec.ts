import { StripeSubscription, SubscriptionStatus } from '../entities/stripe-subscription.entity.js';
import { CheckoutFacts, checkoutChanges, isNewerSnapshot, PaymentFacts, paymentChanges, snapshotChanges } from './subscription-ordering.js';
import { STATUS_RANK, SubscriptionSnapshot } from './subscription-snapshot.js';

const T = 1_764_000_000;
const at = (seconds: number) => new Date(seconds * 1000);

/** A row as the writer reads it, holding the snapshot of an event created at `eventCreated`. */
function row(fields: Partial<StripeSubscription> = {}): StripeSubscription {
  const status = fields.status === undefined ? 'active' : fields.status;
  return Object.assign(new StripeSubscription(), {
    id: 'sub_1',
    customerId: 'cus_row',
    accountRef: 'acct_row',
    status,
    priceId: 'price_row',
    productId: 'prod_row',
    lookupKey: 'row_key',
    quantity: 1,
    currentPeriodStart: at(T - 100),
    currentPeriodEnd: at(T + 100),
    trialStart: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: null,
    pauseBehavior: null,
    pauseResumesAt: null,
    livemode: false,
    metadata: { checkout: { campaign: 'spring' }, subscription: { plan: 'old' } },
    latestPaymentStatus: null,
    latestInvoiceId: null,
    latestPaymentAt: null,
    eventCreated: T,
    statusRank: status === null ? null : STATUS_RANK[status],
    paymentEventCreated: null,
    ...fields,
  });
}

/** A row made by a checkout before any subscription event: no snapshot yet. */
function checkoutOnlyRow(fields: Partial<StripeSubscription> = {}): StripeSubscription {
  return row({
    status: null,
    priceId: null,
    productId: null,
    lookupKey: null,
    quantity: null,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    metadata: { checkout: { campaign: 'spring' } },
    eventCreated: null,
    statusRank: null,
    ...fields,
  });
}

function snapshot(fields: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot {
  return {
    id: 'sub_1',
    customerId: 'cus_snap',
    status: 'active',
    priceId: 'price_snap',
    productId: 'prod_snap',
    lookupKey: null,
    quantity: 3,
    currentPeriodStart: at(T),
    currentPeriodEnd: at(T + 30 * 86400),
    trialStart: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: null,
    pauseBehavior: null,
    pauseResumesAt: null,
    livemode: false,
    metadata: {},
    ...fields,
  };
}

const SNAPSHOT_FIELDS = [
  'status',
  'priceId',
  'productId',
  'lookupKey',
  'quantity',
  'currentPeriodStart',
  'currentPeriodEnd',
  'trialStart',
  'trialEnd',
  'cancelAtPeriodEnd',
  'cancelAt',
  'canceledAt',
  'endedAt',
  'pauseBehavior',
  'pauseResumesAt',
  'eventCreated',
  'statusRank',
] as const;

const PAYMENT_FIELDS = ['latestInvoiceId', 'latestPaymentStatus', 'latestPaymentAt', 'paymentEventCreated'] as const;

describe('isNewerSnapshot', () => {
  it('applies the first snapshot, and one over a row only a checkout has written', () => {
    expect(isNewerSnapshot(null, snapshot(), T)).toBe(true);
    expect(isNewerSnapshot(checkoutOnlyRow(), snapshot({ status: 'incomplete' }), T - 1_000_000)).toBe(true);
  });

  it('applies a later event and never an older one, whatever their statuses', () => {
    expect(isNewerSnapshot(row({ status: 'active' }), snapshot({ status: 'incomplete' }), T + 1)).toBe(true);
    expect(isNewerSnapshot(row({ status: 'active' }), snapshot({ status: 'past_due' }), T - 1)).toBe(false);
    expect(isNewerSnapshot(row({ status: 'incomplete' }), snapshot({ status: 'canceled' }), T - 1)).toBe(false);
    expect(isNewerSnapshot(row({ status: 'trialing' }), snapshot({ status: 'active' }), T - 3600)).toBe(false);
  });

  describe('ties within the same second', () => {
    const order: SubscriptionStatus[] = ['incomplete', 'trialing', 'active', 'past_due', 'canceled'];

    it.each(order.flatMap((earlier, i) => order.slice(i + 1).map((later) => [earlier, later] as const)))(
      'lets %s be replaced by the later lifecycle stage %s, and not the other way round',
      (earlier, later) => {
        expect(isNewerSnapshot(row({ status: earlier }), snapshot({ status: later }), T)).toBe(true);
        expect(isNewerSnapshot(row({ status: later }), snapshot({ status: earlier }), T)).toBe(false);
      },
    );

    it.each(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled'] as SubscriptionStatus[])(
      'lets the later arrival win at the same stage (%s)',
      (status) => {
        expect(isNewerSnapshot(row({ status }), snapshot({ status }), T)).toBe(true);
      },
    );

    it('treats unpaid and paused as the same stage', () => {
      expect(isNewerSnapshot(row({ status: 'unpaid' }), snapshot({ status: 'paused' }), T)).toBe(true);
      expect(isNewerSnapshot(row({ status: 'paused' }), snapshot({ status: 'unpaid' }), T)).toBe(true);
      expect(isNewerSnapshot(row({ status: 'paused' }), snapshot({ status: 'past_due' }), T)).toBe(false);
    });
  });

  describe('terminal statuses are absorbing', () => {
    it.each([
      ['canceled', 'active'],
      ['canceled', 'trialing'],
      ['canceled', 'past_due'],
      ['incomplete_expired', 'active'],
      ['incomplete_expired', 'incomplete'],
    ] as [SubscriptionStatus, SubscriptionStatus][])('never leaves %s for %s, even from a much later event', (terminal, live) => {
      expect(isNewerSnapshot(row({ status: terminal }), snapshot({ status: live }), T + 86400)).toBe(false);
    });

    it('still takes a later terminal snapshot (a deleted subscription updated once more)', () => {
      expect(isNewerSnapshot(row({ status: 'canceled' }), snapshot({ status: 'canceled' }), T + 1)).toBe(true);
      expect(isNewerSnapshot(row({ status: 'canceled' }), snapshot({ status: 'canceled' }), T - 1)).toBe(false);
    });
  });
});

describe('snapshotChanges', () => {
  it('returns null for a snapshot that may not replace the row', () => {
    expect(snapshotChanges(row({ status: 'canceled' }), snapshot({ status: 'active' }), T + 10, null, {})).toBeNull();
    expect(snapshotChanges(row(), snapshot(), T - 10, 'acct_new', {})).toBeNull();
  });

  it('writes every snapshot field, the event time and the lifecycle rank', () => {
    const snap = snapshot({ status: 'trialing', trialStart: at(T), trialEnd: at(T + 7 * 86400), cancelAt: at(T + 9), pauseBehavior: 'void', pauseResumesAt: at(T + 20), livemode: true });
    const changes = snapshotChanges(null, snap, T + 5, 'acct_1', { plan: 'pro' })!;
    expect(changes).toEqual({
      customerId: 'cus_snap',
      accountRef: 'acct_1',
      status: 'trialing',
      priceId: 'price_snap',
      productId: 'prod_snap',
      lookupKey: null,
      quantity: 3,
      currentPeriodStart: at(T),
      currentPeriodEnd: at(T + 30 * 86400),
      trialStart: at(T),
      trialEnd: at(T + 7 * 86400),
      cancelAtPeriodEnd: false,
      cancelAt: at(T + 9),
      canceledAt: null,
      endedAt: null,
      pauseBehavior: 'void',
      pauseResumesAt: at(T + 20),
      livemode: true,
      metadata: { subscription: { plan: 'pro' } },
      eventCreated: T + 5,
      statusRank: STATUS_RANK.trialing,
    });
  });

  it('never erases what the checkout wrote: account, customer and checkout metadata', () => {
    const changes = snapshotChanges(checkoutOnlyRow({ accountRef: 'acct_checkout', customerId: 'cus_checkout' }), snapshot({ customerId: null }), T, null, { plan: 'pro' })!;
    expect(changes.accountRef).toBe('acct_checkout');
    expect(changes.customerId).toBe('cus_checkout');
    expect(changes.metadata).toEqual({ checkout: { campaign: 'spring' }, subscription: { plan: 'pro' } });
  });

  it('replaces the subscription metadata as a whole (a removed key goes)', () => {
    const changes = snapshotChanges(row(), snapshot(), T + 1, null, {})!;
    expect(changes.metadata).toEqual({ checkout: { campaign: 'spring' }, subscription: {} });
  });

  it('links an account found in the subscription metadata', () => {
    expect(snapshotChanges(checkoutOnlyRow({ accountRef: null }), snapshot(), T, 'acct_meta', {})!.accountRef).toBe('acct_meta');
  });
});

describe('checkoutChanges', () => {
  const checkout = (fields: Partial<CheckoutFacts> = {}): CheckoutFacts => ({
    customerId: 'cus_checkout',
    accountRef: 'acct_checkout',
    livemode: false,
    metadata: { campaign: 'autumn' },
    ...fields,
  });

  it('writes only the account, customer, livemode and checkout metadata on a new row', () => {
    expect(checkoutChanges(null, checkout())).toEqual({
      customerId: 'cus_checkout',
      accountRef: 'acct_checkout',
      livemode: false,
      metadata: { checkout: { campaign: 'autumn' } },
    });
  });

  it('never touches the snapshot or payment fields of a row a subscription event wrote', () => {
    const changes = checkoutChanges(row({ latestInvoiceId: 'in_1', latestPaymentStatus: 'succeeded', paymentEventCreated: T }), checkout());
    for (const field of [...SNAPSHOT_FIELDS, ...PAYMENT_FIELDS]) expect(changes).not.toHaveProperty(field);
    expect(changes.metadata).toEqual({ checkout: { campaign: 'autumn' }, subscription: { plan: 'old' } });
  });

  it("keeps the row's customer, and its account when the checkout has none to give (an orphan)", () => {
    const changes = checkoutChanges(row({ customerId: 'cus_row', accountRef: 'acct_row' }), checkout({ customerId: 'cus_other', accountRef: null }));
    expect(changes.customerId).toBe('cus_row');
    expect(changes.accountRef).toBe('acct_row');
  });

  it("links the checkout's account reference", () => {
    expect(checkoutChanges(checkoutOnlyRow({ accountRef: null }), checkout()).accountRef).toBe('acct_checkout');
  });
});

describe('paymentChanges', () => {
  const payment = (fields: Partial<PaymentFacts> = {}): PaymentFacts => ({ invoiceId: 'in_2', customerId: 'cus_pay', status: 'succeeded', livemode: false, ...fields });
  const paid = (fields: Partial<StripeSubscription> = {}) =>
    row({ latestInvoiceId: 'in_1', latestPaymentStatus: 'succeeded', latestPaymentAt: at(T), paymentEventCreated: T, ...fields });

  it('writes only the payment fields (and the customer and livemode of a row it creates)', () => {
    expect(paymentChanges(null, payment({ status: 'failed', livemode: true }), T)).toEqual({
      customerId: 'cus_pay',
      livemode: true,
      latestInvoiceId: 'in_2',
      latestPaymentStatus: 'failed',
      latestPaymentAt: at(T),
      paymentEventCreated: T,
    });
  });

  it('never touches the snapshot fields, the account or the metadata of an existing row', () => {
    const changes = paymentChanges(row({ livemode: false }), payment({ livemode: true }), T + 1)!;
    for (const field of [...SNAPSHOT_FIELDS, 'accountRef', 'metadata'] as const) expect(changes).not.toHaveProperty(field);
    expect(changes).toMatchObject({ customerId: 'cus_row', livemode: false });
  });

  it('applies a later payment event and never an older one', () => {
    expect(paymentChanges(paid(), payment({ status: 'failed' }), T + 1)).toMatchObject({ latestInvoiceId: 'in_2', latestPaymentStatus: 'failed', paymentEventCreated: T + 1 });
    expect(paymentChanges(paid({ latestPaymentStatus: 'failed' }), payment({ status: 'succeeded' }), T - 1)).toBeNull();
  });

  it('within the same second, lets success replace failure but not the other way round', () => {
    expect(paymentChanges(paid({ latestPaymentStatus: 'failed' }), payment({ status: 'succeeded' }), T)).toMatchObject({ latestPaymentStatus: 'succeeded' });
    expect(paymentChanges(paid({ latestPaymentStatus: 'succeeded' }), payment({ status: 'failed' }), T)).toBeNull();
    expect(paymentChanges(paid({ latestPaymentStatus: 'succeeded' }), payment({ status: 'succeeded' }), T)).toMatchObject({ latestInvoiceId: 'in_2' });
  });

  it('applies the first payment of a row that a subscription or checkout event created', () => {
    expect(paymentChanges(row(), payment(), T - 1_000_000)).toMatchObject({ latestInvoiceId: 'in_2', latestPaymentStatus: 'succeeded' });
  });
});
