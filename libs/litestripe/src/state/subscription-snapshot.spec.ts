import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invoiceSubscriptionId } from './stripe-payload.js';
import { StripePayload } from './stripe-payload.js';
import { PayloadRangeError } from '../errors/payload-range.error.js';
import { readSubscription, SubscriptionSnapshot } from './subscription-snapshot.js';
import { UnreadablePayloadError } from '../errors/unreadable-payload.error.js';

/**
 * `readSubscription` and `invoiceSubscriptionId` on the real payloads in test/fixtures/stripe (see
 * its README for sources and licences), one API era after another.
 */

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'stripe');

/** The Stripe object of a fixture: a full event (`data.object`), an event's `data` (`object`), or the object itself. */
function stripeObject(name: string): StripePayload {
  const json = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
  if (json.object === 'event') return json.data.object;
  if (json.object && typeof json.object === 'object') return json.object;
  return json;
}

const at = (seconds: number) => new Date(seconds * 1000);
const clone = <T>(value: T): T => structuredClone(value);

const QUIET: Partial<SubscriptionSnapshot> = {
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
};

describe('readSubscription on real payloads', () => {
  it('reads the current shape (openapi, API 2025-03-31 and later): price from the item, billing period from the items', () => {
    const payload = stripeObject('openapi-subscription.json');
    expect(payload).not.toHaveProperty('current_period_start');
    expect(readSubscription(payload)).toEqual({
      id: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
      customerId: 'cus_QXg1o8vcGmoR32',
      status: 'active',
      priceId: 'price_1PgafmB7WZ01zgkW6dKueIc5',
      productId: 'prod_QXg1hqf4jFNsqG',
      lookupKey: null,
      quantity: 1,
      currentPeriodStart: at(1896570518),
      currentPeriodEnd: at(976287773),
      trialStart: at(1234567890),
      trialEnd: at(1234567890),
      cancelAtPeriodEnd: true,
      cancelAt: at(1234567890),
      canceledAt: at(1234567890),
      endedAt: at(1234567890),
      pauseBehavior: 'mark_uncollectible',
      pauseResumesAt: null,
      livemode: false,
      metadata: {},
    });
  });

  it('spans the billing period over every item of a current-shape subscription (earliest start, latest end)', () => {
    const payload = clone(stripeObject('openapi-subscription.json')) as any;
    const [item] = payload.items.data;
    payload.items.data = [
      { ...item, current_period_start: 1_760_000_000, current_period_end: 1_762_592_000 },
      { ...item, id: 'si_second', price: { ...item.price, id: 'price_addon' }, current_period_start: 1_759_000_000, current_period_end: 1_791_536_000 },
    ];
    const snapshot = readSubscription(payload);
    expect(snapshot.currentPeriodStart).toEqual(at(1_759_000_000));
    expect(snapshot.currentPeriodEnd).toEqual(at(1_791_536_000));
    expect(snapshot.priceId).toBe('price_1PgafmB7WZ01zgkW6dKueIc5');
  });

  it('reads a lookup key and string metadata, dropping non-string metadata values', () => {
    const payload = clone(stripeObject('openapi-subscription.json')) as any;
    payload.items.data[0].price.lookup_key = 'pro_monthly';
    payload.metadata = { client_reference_id: 'acct_1', seats: 3, nested: { a: 1 } };
    expect(readSubscription(payload)).toMatchObject({ lookupKey: 'pro_monthly', metadata: { client_reference_id: 'acct_1' } });
  });

  it('reads the pause of collection: its behaviour and when it ends; a behaviour it does not know reads as unknown', () => {
    const payload = clone(stripeObject('openapi-subscription.json')) as any;
    payload.pause_collection = { behavior: 'void', resumes_at: 1_767_225_600 };
    expect(readSubscription(payload)).toMatchObject({ pauseBehavior: 'void', pauseResumesAt: at(1_767_225_600) });
    payload.pause_collection = { behavior: 'keep_as_draft', resumes_at: null };
    expect(readSubscription(payload)).toMatchObject({ pauseBehavior: 'keep_as_draft', pauseResumesAt: null });
    payload.pause_collection = { behavior: 'skip_next_invoice', resumes_at: null };
    expect(readSubscription(payload)).toMatchObject({ pauseBehavior: 'unknown', pauseResumesAt: null });
    payload.pause_collection = null;
    expect(readSubscription(payload)).toMatchObject({ pauseBehavior: null, pauseResumesAt: null });
  });

  it('refuses a pause whose resumes_at is no timestamp', () => {
    const payload = clone(stripeObject('openapi-subscription.json')) as any;
    payload.pause_collection = { behavior: 'void', resumes_at: 1e300 };
    expect(() => readSubscription(payload)).toThrow(PayloadRangeError);
  });

  it.each([
    [
      'ruby-mock-customer.subscription.created.json',
      { id: 'sub_000000000000000000000000', status: 'active', currentPeriodStart: at(1648320110), currentPeriodEnd: at(1650998510) },
    ],
    [
      'ruby-mock-customer.subscription.updated.json',
      { id: 'sub_000000000000000000000000', status: 'active', currentPeriodStart: at(1648320105), currentPeriodEnd: at(1650998505) },
    ],
    [
      'ruby-mock-customer.subscription.deleted.json',
      {
        id: 'sub_000000000000000000000000',
        status: 'canceled',
        currentPeriodStart: at(1648320096),
        currentPeriodEnd: at(1650998496),
        canceledAt: at(1648320097),
        endedAt: at(1648320097),
      },
    ],
  ] as [string, Partial<SubscriptionSnapshot>][])('reads the 2020-08-27 Stripe CLI capture %s (period on the subscription)', (name, expected) => {
    expect(readSubscription(stripeObject(name))).toEqual({
      ...QUIET,
      customerId: 'cus_00000000000000',
      priceId: 'price_000000000000000000000000',
      productId: 'prod_00000000000000',
      lookupKey: null,
      quantity: 1,
      ...expected,
    });
  });

  it.each([
    [
      'sync-engine-subscription_created.json',
      { id: 'sub_JdIzvfy6o5GZRd', status: 'active', currentPeriodStart: at(1623148918), currentPeriodEnd: at(1625740918) },
      { project_id: '312', project_ref: 'tqevlzwwvzleheqncsph', project_name: 'temp webhooks', organization_id: '35', organization_slug: 'visible-emerald-fly' },
    ],
    [
      'sync-engine-subscription_updated.json',
      { id: 'sub_JLEPMp81LApOJl', status: 'active', currentPeriodStart: at(1618980344), currentPeriodEnd: at(1621572344) },
      { project_id: '205', project_ref: 'bfsfqqxvuglpyllejiwe', project_name: 'copple-local', organization_id: '35', organization_slug: 'visible-emerald-fly', test: '1' },
    ],
    [
      'sync-engine-subscription_deleted.json',
      {
        id: 'sub_JdIzvfy6o5GZRd',
        status: 'canceled',
        currentPeriodStart: at(1623148918),
        currentPeriodEnd: at(1625740918),
        canceledAt: at(1623149102),
        endedAt: at(1623149102),
      },
      { project_id: '312', project_ref: 'tqevlzwwvzleheqncsph', project_name: 'temp webhooks', organization_id: '35', organization_slug: 'visible-emerald-fly' },
    ],
  ] as [string, Partial<SubscriptionSnapshot>, Record<string, string>][])('reads the 2020-03-02 capture %s', (name, expected, metadata) => {
    expect(readSubscription(stripeObject(name))).toEqual({
      ...QUIET,
      customerId: 'cus_IhGfebO16cMIGN',
      priceId: 'price_1IDQm5JDPojXS6LNM31hxKzp',
      productId: 'prod_Ip4vqwv3EJ7Mi0',
      lookupKey: null,
      quantity: 1,
      metadata,
      ...expected,
    });
  });

  const PAY_PERIOD = { currentPeriodStart: at(1486568724), currentPeriodEnd: at(1488987924) };
  it.each([
    ['pay-subscription.created.json', { status: 'active', priceId: 'FFBEGINNER_00000000000000', quantity: 2, trialStart: at(1466783124), trialEnd: at(1467992724) }],
    [
      'pay-subscription.deleted.json',
      { status: 'canceled', priceId: 'FFBEGINNER_00000000000000', quantity: 1, trialStart: at(1466783124), trialEnd: at(1467992724), canceledAt: at(1487872069), endedAt: at(1546925027) },
    ],
    [
      // No period on the subscription: read from the item.
      'pay-subscription.updated.json',
      { status: 'canceled', priceId: 'FFBEGINNER_00000000000000', quantity: 2, trialStart: at(1466783124), trialEnd: at(1467992724), canceledAt: at(1487872069), endedAt: at(1487872069) },
    ],
    [
      // The item's quantity (2) wins over the subscription's older top-level one (1).
      'pay-subscription.trial_ended.json',
      { status: 'active', priceId: 'some-plan', quantity: 2, trialStart: at(1667422492), trialEnd: at(1668631967), canceledAt: at(1487872069), endedAt: at(1668631967) },
    ],
    [
      'pay-subscription.trial_will_end.json',
      { status: 'active', priceId: 'some-plan', quantity: 2, trialStart: at(1667761895), trialEnd: at(1668971983), canceledAt: at(1487872069), endedAt: at(1668971983) },
    ],
  ] as [string, Partial<SubscriptionSnapshot>][])('reads the pay-rails 2016-era payload %s', (name, expected) => {
    expect(readSubscription(stripeObject(name))).toEqual({
      ...QUIET,
      id: 'sub_00000000000000',
      customerId: 'cus_00000000000000',
      productId: 'prod_00000000000000',
      lookupKey: null,
      ...PAY_PERIOD,
      ...expected,
    });
  });

  it('refuses the 2013 ruby-mock template whose id is not a subscription id', () => {
    expect(() => readSubscription(stripeObject('ruby-mock-customer.subscription.trial_will_end.json'))).toThrow(UnreadablePayloadError);
  });

  it('reads items that carry only a plan (before 2018-02), the first item deciding price and quantity', () => {
    const payload = { ...stripeObject('ruby-mock-customer.subscription.trial_will_end.json'), id: 'sub_legacyplanonly' };
    expect(readSubscription(payload)).toEqual({
      ...QUIET,
      id: 'sub_legacyplanonly',
      customerId: 'cus_00000000000000',
      status: 'trialing',
      priceId: 'fkx0AFo_00000000000000',
      productId: 'pr_00000000000000',
      lookupKey: null,
      quantity: 1,
      currentPeriodStart: at(1381080623),
      currentPeriodEnd: at(1383759023),
      trialStart: at(1381021530),
      trialEnd: at(1381280730),
    });
  });

  it('falls back to the subscription-level plan and quantity when there are no items (oldest shape)', () => {
    const payload = clone(stripeObject('ruby-mock-customer.subscription.created.json')) as any;
    delete payload.items;
    payload.quantity = 4;
    expect(readSubscription(payload)).toMatchObject({ priceId: 'price_000000000000000000000000', productId: 'prod_00000000000000', quantity: 4 });
  });

  it('reads an expanded customer and an expanded product', () => {
    const payload = clone(stripeObject('openapi-subscription.json')) as any;
    payload.customer = { id: 'cus_expanded', object: 'customer', email: 'x@example.com' };
    payload.items.data[0].price.product = { id: 'prod_expanded', object: 'product' };
    expect(readSubscription(payload)).toMatchObject({ customerId: 'cus_expanded', productId: 'prod_expanded' });
  });

  it.each([
    ['an unknown status', { status: 'expired' }],
    ['a missing id', { id: undefined }],
    ['a customer id where the subscription id belongs', { id: 'cus_QXg1o8vcGmoR32' }],
  ])('refuses %s', (_, override) => {
    const payload = { ...stripeObject('openapi-subscription.json'), ...override };
    expect(() => readSubscription(payload)).toThrow(UnreadablePayloadError);
  });
});

describe('readSubscription on numbers out of range', () => {
  /** The current shape (period and quantity on the item) with `change` applied to a copy. */
  function current(change: (payload: any, item: any) => void): StripePayload {
    const payload = clone(stripeObject('openapi-subscription.json')) as any;
    change(payload, payload.items.data[0]);
    return payload;
  }
  function legacy(change: (payload: any) => void): StripePayload {
    const payload = clone(stripeObject('ruby-mock-customer.subscription.created.json')) as any;
    change(payload);
    return payload;
  }

  it.each([
    ['an item period end of 1e300', current((_, item) => (item.current_period_end = 1e300)), 'items.data[].current_period_end'],
    ['an item period start past year 9999', current((_, item) => (item.current_period_start = 253402300800)), 'items.data[].current_period_start'],
    ['a period end of Infinity (1e400 in JSON)', legacy((p) => (p.current_period_end = JSON.parse('1e400'))), 'current_period_end'],
    ['a negative trial end', current((p) => (p.trial_end = -1)), 'trial_end'],
    ['an ended_at of 1e15', current((p) => (p.ended_at = 1e15)), 'ended_at'],
    ['an item quantity of 1e12', current((_, item) => (item.quantity = 1e12)), 'items.data[0].quantity'],
    ['an item quantity of 2^31', current((_, item) => (item.quantity = 2 ** 31)), 'items.data[0].quantity'],
    ['a fractional quantity', current((_, item) => (item.quantity = 1.5)), 'items.data[0].quantity'],
    ['a negative quantity', current((_, item) => (item.quantity = -1)), 'items.data[0].quantity'],
    ['a subscription-level quantity of 1e12 (oldest shape)', legacy((p) => ((p.quantity = 1e12), delete p.items)), 'quantity'],
  ])('refuses %s with a PayloadRangeError naming the field, not as an unreadable payload', (_, payload, field) => {
    let error: unknown;
    try {
      readSubscription(payload);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PayloadRangeError);
    expect(error).not.toBeInstanceOf(UnreadablePayloadError);
    expect((error as Error).message.split(' is out of range')[0]).toBe(field);
  });

  it('reads the bounds: a quantity of 2^31 - 1 and a period end at the last second of year 9999', () => {
    const payload = current((_, item) => ((item.quantity = 2 ** 31 - 1), (item.current_period_end = 253402300799)));
    expect(readSubscription(payload)).toMatchObject({ quantity: 2 ** 31 - 1, currentPeriodEnd: new Date(253402300799 * 1000) });
  });
});

describe('invoiceSubscriptionId on both invoice shapes', () => {
  it('reads parent.subscription_details.subscription of a 2025 ("basil") invoice', () => {
    const invoice = stripeObject('pay-invoice.payment_failed.json');
    expect(invoice).not.toHaveProperty('subscription');
    expect(invoiceSubscriptionId(invoice)).toBe('sub_1234');
  });

  it('reads parent.subscription_details.subscription of the openapi example invoice (which fills every field)', () => {
    const invoice = stripeObject('openapi-invoice.json');
    expect(invoice.subscription).toBeNull();
    expect(invoiceSubscriptionId(invoice)).toBe('subscription');
  });

  it.each([
    ['ruby-mock-invoice.created.json', 'sub_000000000000000000000000'],
    ['sync-engine-invoice_paid.json', 'sub_JsuPyCPhXWfZar'],
  ])('reads the top-level subscription of the legacy invoice %s', (name, id) => {
    const invoice = stripeObject(name);
    expect(invoice).not.toHaveProperty('parent');
    expect(invoiceSubscriptionId(invoice)).toBe(id);
  });

  it('reads an expanded subscription on either shape', () => {
    const legacy = { ...stripeObject('ruby-mock-invoice.created.json'), subscription: { id: 'sub_expanded', object: 'subscription' } };
    expect(invoiceSubscriptionId(legacy)).toBe('sub_expanded');
    const current = clone(stripeObject('pay-invoice.payment_failed.json')) as any;
    current.parent.subscription_details.subscription = { id: 'sub_expanded2', object: 'subscription' };
    expect(invoiceSubscriptionId(current)).toBe('sub_expanded2');
  });

  it('answers null for a one-off invoice on either shape', () => {
    expect(invoiceSubscriptionId({ ...stripeObject('ruby-mock-invoice.created.json'), subscription: null })).toBeNull();
    expect(invoiceSubscriptionId({ ...stripeObject('pay-invoice.payment_failed.json'), parent: null })).toBeNull();
    const quote = clone(stripeObject('pay-invoice.payment_failed.json')) as any;
    quote.parent = { type: 'quote_details', quote_details: { quote: 'qt_1' }, subscription_details: null };
    expect(invoiceSubscriptionId(quote)).toBeNull();
  });
});
