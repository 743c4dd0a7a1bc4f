import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

const DAY = 86_400;
/** 2027-01-15T00:00:00Z, as in the lifecycle spec: the first monthly period ends 2027-02-15. */
const T0 = 1_799_971_200;
const FEB_15 = Date.UTC(2027, 1, 15) / 1000;
const MAR_15 = Date.UTC(2027, 2, 15) / 1000;

describe('FakeStripe billing meters and metered prices', () => {
  let fake: FakeStripe;
  let stripe: Stripe;

  beforeAll(async () => {
    fake = await FakeStripe.start({ now: () => T0 });
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(() => fake.reset());

  const eventTypes = (events: Stripe.Event[]) => events.map((event) => event.type);

  function createMeter(eventName = 'api_call', formula: 'sum' | 'count' | 'last' = 'sum') {
    return stripe.billing.meters.create({ display_name: `Meter ${eventName}`, event_name: eventName, default_aggregation: { formula } });
  }

  function report(customer: string, value: number | string, extra: Partial<Stripe.Billing.MeterEventCreateParams> = {}) {
    return stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: customer, value: String(value) }, ...extra });
  }

  describe('meters', () => {
    it("creates a meter with Stripe's defaults, retrieves it and lists meters page by page", async () => {
      const meter = await createMeter();
      expect(meter).toMatchObject({
        object: 'billing.meter',
        display_name: 'Meter api_call',
        event_name: 'api_call',
        status: 'active',
        default_aggregation: { formula: 'sum' },
        customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
        value_settings: { event_payload_key: 'value' },
        status_transitions: { deactivated_at: null },
        created: T0,
        livemode: false,
      });
      expect(meter.id).toMatch(/^mtr_/);
      expect(await stripe.billing.meters.retrieve(meter.id)).toEqual(expect.objectContaining({ id: meter.id, event_name: 'api_call' }));

      const custom = await stripe.billing.meters.create({
        display_name: 'Seats',
        event_name: 'seats',
        default_aggregation: { formula: 'last' },
        customer_mapping: { type: 'by_id', event_payload_key: 'account' },
        value_settings: { event_payload_key: 'count' },
      });
      expect(custom).toMatchObject({ customer_mapping: { event_payload_key: 'account' }, value_settings: { event_payload_key: 'count' } });

      const first = await stripe.billing.meters.list({ limit: 1 });
      expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/billing/meters' });
      expect(first.data.map((m) => m.id)).toEqual([custom.id]);
      const all = await stripe.billing.meters.list({ limit: 1 }).autoPagingToArray({ limit: 10 });
      expect(all.map((m) => m.id)).toEqual([custom.id, meter.id]);
      expect(fake.meters.count).toBe(2);
      expect(eventTypes(fake.events.all())).toEqual(['billing.meter.created', 'billing.meter.created']);
    });

    it('refuses an event_name an active meter already uses, and frees it when that meter is deactivated', async () => {
      const meter = await createMeter();
      const taken = await rejectionOf(createMeter());
      expect(taken).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(taken).toMatchObject({ statusCode: 400, param: 'event_name' });

      const deactivated = await stripe.billing.meters.deactivate(meter.id);
      expect(deactivated).toMatchObject({ status: 'inactive', status_transitions: { deactivated_at: T0 } });
      await expect(createMeter()).resolves.toMatchObject({ status: 'active' });
      expect((await stripe.billing.meters.list({ status: 'inactive' })).data.map((m) => m.id)).toEqual([meter.id]);
      expect(await rejectionOf(stripe.billing.meters.reactivate(meter.id))).toMatchObject({ statusCode: 400, param: 'event_name' });
    });

    it('refuses a meter without its required params', async () => {
      const error = await rejectionOf(stripe.billing.meters.create({ display_name: 'No formula', event_name: 'x' } as Stripe.Billing.MeterCreateParams));
      expect(error).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'default_aggregation[formula]' });
    });
  });

  describe('meter events', () => {
    it('accepts an event for an active meter, generating an identifier and defaulting the timestamp to now', async () => {
      await createMeter();
      const event = await report('cus_a', 25);
      expect(event).toMatchObject({
        object: 'billing.meter_event',
        event_name: 'api_call',
        payload: { stripe_customer_id: 'cus_a', value: '25' },
        timestamp: T0,
        created: T0,
        livemode: false,
      });
      expect(event.identifier).toEqual(expect.any(String));
      expect(event.identifier.length).toBeGreaterThan(0);
      const explicit = await report('cus_a', 5, { identifier: 'usage-2', timestamp: T0 - 3 * DAY });
      expect(explicit).toMatchObject({ identifier: 'usage-2', timestamp: T0 - 3 * DAY });
      expect(fake.meterEvents().map((e) => e.identifier)).toEqual([event.identifier, 'usage-2']);
    });

    it('refuses an identifier already used in the last 24 hours (the "already reported" answer), and takes it again after', async () => {
      await createMeter();
      await report('cus_a', 10, { identifier: 'usage-1' });
      const duplicate = await rejectionOf(report('cus_a', 10, { identifier: 'usage-1' }));
      expect(duplicate).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(duplicate).toMatchObject({ statusCode: 400, rawType: 'invalid_request_error', param: 'identifier' });
      expect(duplicate.message).toBe('An event already exists with identifier usage-1.');
      expect(duplicate.headers).toMatchObject({ 'stripe-should-retry': 'false' });
      expect(fake.meterEvents()).toHaveLength(1);

      fake.advanceClock(DAY - 1);
      expect(await rejectionOf(report('cus_a', 10, { identifier: 'usage-1' }))).toMatchObject({ param: 'identifier' });
      fake.advanceClock(1);
      await expect(report('cus_a', 10, { identifier: 'usage-1' })).resolves.toMatchObject({ identifier: 'usage-1' });
      expect(fake.meterEvents()).toHaveLength(2);
    });

    it('replays a resend under the same idempotency key, and refuses the identifier under a new one', async () => {
      await createMeter();
      const params = { event_name: 'api_call', identifier: 'use-1', timestamp: T0 - 60, payload: { stripe_customer_id: 'cus_a', value: '3' } };
      const first = await stripe.billing.meterEvents.create(params, { idempotencyKey: 'use-1' });
      const resent = await stripe.billing.meterEvents.create(params, { idempotencyKey: 'use-1' });
      expect(resent.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(resent).toMatchObject({ identifier: first.identifier, created: first.created });
      const fresh = await rejectionOf(stripe.billing.meterEvents.create(params, { idempotencyKey: 'use-1-again' }));
      expect(fresh).toMatchObject({ statusCode: 400, param: 'identifier' });
      expect(fake.meterEvents()).toHaveLength(1);
    });

    it('refuses unknown event names, payloads without the customer or a numeric value, and timestamps out of range', async () => {
      await createMeter();
      const unknown = await rejectionOf(stripe.billing.meterEvents.create({ event_name: 'nope', payload: { stripe_customer_id: 'cus_a', value: '1' } }));
      expect(unknown).toMatchObject({ statusCode: 400, rawType: 'invalid_request_error', param: 'event_name' });
      const noCustomer = await rejectionOf(stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { value: '1' } }));
      expect(noCustomer).toMatchObject({ statusCode: 400, param: 'payload[stripe_customer_id]' });
      expect(await rejectionOf(report('cus_a', 'lots'))).toMatchObject({ statusCode: 400, param: 'payload[value]' });
      expect(await rejectionOf(stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: 'cus_a' } }))).toMatchObject({
        statusCode: 400,
        param: 'payload[value]',
      });
      expect(await rejectionOf(report('cus_a', 1, { timestamp: T0 - 35 * DAY - 1 }))).toMatchObject({ statusCode: 400, param: 'timestamp' });
      expect(await rejectionOf(report('cus_a', 1, { timestamp: T0 + 5 * 60 + 1 }))).toMatchObject({ statusCode: 400, param: 'timestamp' });
      expect(fake.meterEvents()).toEqual([]);

      await expect(report('cus_a', 1, { timestamp: T0 - 35 * DAY })).resolves.toMatchObject({ timestamp: T0 - 35 * DAY });
      await expect(report('cus_a', 1.5, { timestamp: T0 + 5 * 60 })).resolves.toMatchObject({ payload: { value: '1.5' } });
      expect(fake.meterEvents()).toHaveLength(2);
    });

    it('reads the customer and value under the meter’s own payload keys; count meters need no value', async () => {
      await stripe.billing.meters.create({
        display_name: 'Logins',
        event_name: 'login',
        default_aggregation: { formula: 'count' },
        customer_mapping: { type: 'by_id', event_payload_key: 'account' },
      });
      await stripe.billing.meterEvents.create({ event_name: 'login', payload: { account: 'cus_b' } });
      await stripe.billing.meterEvents.create({ event_name: 'login', payload: { account: 'cus_b' } });
      const wrongKey = await rejectionOf(stripe.billing.meterEvents.create({ event_name: 'login', payload: { stripe_customer_id: 'cus_b' } }));
      expect(wrongKey).toMatchObject({ param: 'payload[account]' });
      expect(fake.meterEvents({ customer: 'cus_b', eventName: 'login' })).toHaveLength(2);
      expect(fake.meterUsage('cus_b', 'login', { from: T0, to: T0 + 1 })).toBe(2);
    });

    it('goes through fault injection like any route: a 500, then the retry is taken once', async () => {
      await createMeter();
      fake.failNext(1, { status: 500, match: { method: 'POST', path: '/v1/billing/meter_events' } });
      const failed = await rejectionOf(report('cus_a', 7, { identifier: 'usage-7' }));
      expect(failed).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(failed).toMatchObject({ statusCode: 500, rawType: 'api_error' });
      expect(fake.meterEvents()).toEqual([]);

      await expect(report('cus_a', 7, { identifier: 'usage-7' })).resolves.toMatchObject({ identifier: 'usage-7' });
      expect(fake.requests.filter((r) => r.path === '/v1/billing/meter_events').map((r) => r.status)).toEqual([500, 200]);

      // A retrying client recovers by itself, its retries sharing one idempotency key.
      fake.failNext(1, { status: 500, match: { path: '/v1/billing/meter_events' } });
      await expect(stripeClient(fake, { maxNetworkRetries: 1 }).billing.meterEvents.create({
        event_name: 'api_call',
        identifier: 'usage-8',
        payload: { stripe_customer_id: 'cus_a', value: '8' },
      })).resolves.toMatchObject({ identifier: 'usage-8' });
      expect(fake.meterEvents().map((e) => e.identifier)).toEqual(['usage-7', 'usage-8']);
      expect(fake.meterUsage('cus_a', 'api_call', { from: T0, to: T0 + 1 })).toBe(15);
    });

    it('aggregates a customer’s usage per formula over [from, to), also through event summaries', async () => {
      const sum = await createMeter('api_call', 'sum');
      await createMeter('seats', 'last');
      for (const [value, ago] of [[10, 3], [20, 2], [5, 1]]) {
        await report('cus_a', value, { timestamp: T0 - ago * DAY });
        await stripe.billing.meterEvents.create({ event_name: 'seats', timestamp: T0 - ago * DAY, payload: { stripe_customer_id: 'cus_a', value: String(value) } });
      }
      await report('cus_other', 1000, { timestamp: T0 - 2 * DAY });

      expect(fake.meterUsage('cus_a', 'api_call', { from: T0 - 3 * DAY, to: T0 })).toBe(35);
      expect(fake.meterUsage('cus_a', sum.id, { from: T0 - 3 * DAY, to: T0 - DAY })).toBe(30);
      expect(fake.meterUsage('cus_a', 'seats', { from: T0 - 3 * DAY, to: T0 })).toBe(5);
      expect(fake.meterUsage('cus_a', 'seats', { from: T0 - 3 * DAY, to: T0 - DAY })).toBe(20);
      expect(fake.meterUsage('cus_nobody', 'api_call', { from: 0, to: T0 + 1 })).toBe(0);
      expect(fake.meterEvents({ customer: 'cus_a', eventName: 'api_call' }).map((e) => e.payload.value)).toEqual(['10', '20', '5']);

      const summaries = await stripe.billing.meters.listEventSummaries(sum.id, { customer: 'cus_a', start_time: T0 - 3 * DAY, end_time: T0 });
      expect(summaries.data).toEqual([
        expect.objectContaining({ object: 'billing.meter_event_summary', aggregated_value: 35, meter: sum.id, start_time: T0 - 3 * DAY, end_time: T0 }),
      ]);
      const daily = await stripe.billing.meters.listEventSummaries(sum.id, { customer: 'cus_a', start_time: T0 - 3 * DAY, end_time: T0, value_grouping_window: 'day' });
      expect(daily.data.map((s) => s.aggregated_value)).toEqual([5, 20, 10]);
    });
  });

  describe('metered prices', () => {
    it('creates a metered price backed by a meter, with its plan twin, and lists by usage type', async () => {
      const meter = await createMeter();
      const price = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 5,
        recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
        product_data: { name: 'API calls' },
      });
      expect(price.recurring).toMatchObject({ interval: 'month', usage_type: 'metered', meter: meter.id });
      const licensed = await stripe.prices.create({ currency: 'usd', unit_amount: 1200, recurring: { interval: 'month' }, product_data: { name: 'Base' } });
      expect(licensed.recurring).toMatchObject({ usage_type: 'licensed', meter: null });
      expect((await stripe.prices.list({ recurring: { usage_type: 'metered' } })).data.map((p) => p.id)).toEqual([price.id]);
      expect((await stripe.prices.list({ recurring: { meter: meter.id } })).data.map((p) => p.id)).toEqual([price.id]);

      const priceWith = (recurring: Stripe.PriceCreateParams.Recurring) => stripe.prices.create({ currency: 'usd', unit_amount: 5, recurring, product_data: { name: 'x' } });
      const noMeter = await rejectionOf(priceWith({ interval: 'month', usage_type: 'metered' }));
      expect(noMeter).toMatchObject({ statusCode: 400, param: 'recurring[meter]' });
      const unknown = await rejectionOf(priceWith({ interval: 'month', usage_type: 'metered', meter: 'mtr_missing' }));
      expect(unknown).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'recurring[meter]' });
      const licensedWithMeter = await rejectionOf(priceWith({ interval: 'month', meter: meter.id }));
      expect(licensedWithMeter).toMatchObject({ statusCode: 400, param: 'recurring[meter]' });
    });

    it('seeds a meter and a metered price straight into the store', () => {
      const meter = fake.seedMeter({ eventName: 'tokens', formula: 'sum' });
      expect(meter).toMatchObject({ object: 'billing.meter', event_name: 'tokens', display_name: 'tokens', status: 'active' });
      const price = fake.seedPrice({ meter: meter.id, unitAmount: 2, lookupKey: 'tokens_metered' });
      expect(price.recurring).toMatchObject({ usage_type: 'metered', meter: meter.id, interval: 'month' });
      expect(() => fake.seedMeter({ eventName: 'tokens' })).toThrow(/already uses/);
      expect(() => fake.seedPrice({ meter: 'mtr_missing' })).toThrow(/no meter/);
      fake.reset({ keepCatalog: true });
      expect(fake.meters.get(meter.id)).toBeDefined();
      expect(fake.events.count).toBe(0);
    });
  });

  describe('subscriptions with a licensed and a metered item', () => {
    let licensed: Stripe.Price;
    let metered: Stripe.Price;
    let customer: Stripe.Customer;

    beforeEach(async () => {
      const meter = await createMeter();
      licensed = await stripe.prices.create({ currency: 'usd', unit_amount: 1200, recurring: { interval: 'month' }, product_data: { name: 'Base' }, nickname: 'Base' });
      metered = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 5,
        recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
        product_data: { name: 'API calls' },
        nickname: 'API calls',
      });
      customer = await stripe.customers.create({ email: 'usage@example.com' });
    });

    it('checks out a licensed line with a quantity and a metered line without one', async () => {
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price: licensed.id, quantity: 2 }, { price: metered.id }],
        customer: customer.id,
        success_url: 'https://app.example.com/done',
      });
      expect(session.amount_total).toBe(2400);
      expect(await (await fetch(session.url!)).text()).toContain('API calls (metered)');
      const lines = await stripe.checkout.sessions.listLineItems(session.id);
      expect(lines.data.map(({ quantity, amount_total, price }) => ({ quantity, amount_total, price: price?.id }))).toEqual([
        { quantity: 2, amount_total: 2400, price: licensed.id },
        { quantity: null, amount_total: 0, price: metered.id },
      ]);

      const completed = fake.completeCheckoutSession(session.id);
      const items = completed.subscription!.items.data;
      expect(items.map((item) => item.price.id)).toEqual([licensed.id, metered.id]);
      expect(items[0]).toMatchObject({ quantity: 2, plan: { usage_type: 'licensed', meter: null } });
      expect('quantity' in items[1]).toBe(false);
      expect(items[1].plan).toMatchObject({ usage_type: 'metered', meter: metered.recurring?.meter });

      const created = completed.events.find((event) => event.type === 'customer.subscription.created')!.data.object as Stripe.Subscription;
      expect(created.items.data.map((item) => item.price.id)).toEqual([licensed.id, metered.id]);
      const paid = completed.events.find((event) => event.type === 'invoice.paid')!.data.object as Stripe.Invoice;
      expect(paid).toMatchObject({ billing_reason: 'subscription_create', total: 2400, amount_paid: 2400 });
      expect(paid.lines.data.map((line) => line.pricing?.price_details?.price)).toEqual([licensed.id]);
    });

    it('refuses a quantity on a metered line and a licensed line without one', async () => {
      const base = { mode: 'subscription' as const, customer: customer.id, success_url: 'https://app.example.com/done' };
      const meteredQuantity = await rejectionOf(
        stripe.checkout.sessions.create({ ...base, line_items: [{ price: licensed.id, quantity: 1 }, { price: metered.id, quantity: 1 }] }),
      );
      expect(meteredQuantity).toMatchObject({ statusCode: 400, rawType: 'invalid_request_error', param: 'line_items[1][quantity]' });
      expect(meteredQuantity.message).toContain('usage_type is `metered`');
      const noQuantity = await rejectionOf(stripe.checkout.sessions.create({ ...base, line_items: [{ price: licensed.id }, { price: metered.id }] }));
      expect(noQuantity).toMatchObject({ statusCode: 400, param: 'line_items[0][quantity]' });
      expect(fake.checkoutSessions.count).toBe(0);
    });

    it('creates a subscription with several items; metered items take no quantity and share the billing interval', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: licensed.id, quantity: 3 }, { price: metered.id }] });
      expect(subscription.items.data.map((item) => item.quantity)).toEqual([3, undefined]);
      const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
      expect(invoice).toMatchObject({ total: 3600, amount_paid: 3600 });

      const withQuantity = await rejectionOf(stripe.subscriptions.create({ customer: customer.id, items: [{ price: licensed.id }, { price: metered.id, quantity: 1 }] }));
      expect(withQuantity).toMatchObject({ statusCode: 400, param: 'items[1][quantity]' });
      const yearly = await stripe.prices.create({ currency: 'usd', unit_amount: 10_000, recurring: { interval: 'year' }, product_data: { name: 'Yearly' } });
      const mixed = await rejectionOf(stripe.subscriptions.create({ customer: customer.id, items: [{ price: yearly.id }, { price: metered.id }] }));
      expect(mixed).toMatchObject({ statusCode: 400, param: 'items' });
    });

    it('keeps the metered item through price and quantity changes of the licensed item', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: licensed.id, quantity: 1 }, { price: metered.id }] });
      const [licensedItem, meteredItem] = subscription.items.data;
      const pro = await stripe.prices.create({ currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });

      const updated = await stripe.subscriptions.update(subscription.id, { items: [{ id: licensedItem.id, price: pro.id, quantity: 4 }] });
      expect(updated.items.data.map(({ id, price, quantity }) => ({ id, price: price.id, quantity }))).toEqual([
        { id: licensedItem.id, price: pro.id, quantity: 4 },
        { id: meteredItem.id, price: metered.id, quantity: undefined },
      ]);
      const event = fake.events.find((e) => e.type === 'customer.subscription.updated')!;
      expect((event.data.object as Stripe.Subscription).items.data).toHaveLength(2);

      const meteredQuantity = await rejectionOf(stripe.subscriptions.update(subscription.id, { items: [{ id: meteredItem.id, quantity: 2 }] }));
      expect(meteredQuantity).toMatchObject({ statusCode: 400, param: 'items[0][quantity]' });

      const scripted = fake.updateSubscription(subscription.id, { quantity: 6 });
      expect(scripted.result.items.data.map((item) => item.quantity)).toEqual([6, undefined]);
    });

    it('bills the licensed item ahead and the metered usage of the period just ended on each renewal', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: licensed.id }, { price: metered.id }] });
      const [licensedItem, meteredItem] = subscription.items.data;
      fake.advanceClock(20 * DAY);
      await report(customer.id, 100, { timestamp: T0 + DAY });
      await report(customer.id, 50, { timestamp: T0 + 10 * DAY });
      await report(customer.id, 25);
      await report('cus_someone_else', 999);

      const { events } = fake.advanceClock(12 * DAY);
      expect(eventTypes(events)).toEqual(['customer.subscription.updated', 'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']);
      const renewal = events[3].data.object as Stripe.Invoice;
      expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', subtotal: 1200 + 875, total: 2075, amount_paid: 2075 });
      const lineSummary = ({ quantity, amount, period, parent }: Stripe.InvoiceLineItem) => ({ quantity, amount, period, item: parent?.subscription_item_details?.subscription_item });
      expect(renewal.lines.data.map(lineSummary)).toEqual([
        { quantity: 1, amount: 1200, period: { start: FEB_15, end: MAR_15 }, item: licensedItem.id },
        { quantity: 175, amount: 875, period: { start: T0, end: FEB_15 }, item: meteredItem.id },
      ]);
      const listed = await stripe.invoices.list({ subscription: subscription.id });
      expect(listed.data[0].id).toBe(renewal.id);
      expect(fake.meterUsage(customer.id, 'api_call', { from: T0, to: FEB_15 })).toBe(175);

      // Usage in the second period (and none reported late for the first) goes on the next renewal.
      await report(customer.id, 40, { timestamp: FEB_15 });
      fake.advanceClock(28 * DAY);
      const next = (await stripe.invoices.list({ subscription: subscription.id, limit: 1 })).data[0];
      expect(next.lines.data.map(({ quantity, amount, period }) => ({ quantity, amount, period }))).toEqual([
        { quantity: 1, amount: 1200, period: { start: MAR_15, end: Date.UTC(2027, 3, 15) / 1000 } },
        { quantity: 40, amount: 200, period: { start: FEB_15, end: MAR_15 } },
      ]);
      expect(next.total).toBe(1400);
    });

    it('bills zero usage as a zero line, and no trial usage when a trial converts', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: licensed.id }, { price: metered.id }], trial_period_days: 7 });
      await report(customer.id, 300);
      fake.advanceClock(7 * DAY);
      const converted = (await stripe.invoices.list({ subscription: subscription.id, limit: 1 })).data[0];
      expect(converted.lines.data.map((line) => line.pricing?.price_details?.price)).toEqual([licensed.id]);
      expect(converted.total).toBe(1200);

      fake.advanceClock(31 * DAY);
      const firstPaid = (await stripe.invoices.list({ subscription: subscription.id, limit: 1 })).data[0];
      expect(firstPaid.lines.data[1]).toMatchObject({ quantity: 0, amount: 0 });
      expect(firstPaid.total).toBe(1200);
    });

    it('puts the last period’s usage on a final invoice when the subscription ends at period end', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: licensed.id }, { price: metered.id }] });
      await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
      await report(customer.id, 60, { timestamp: T0 + 60 });
      fake.advanceClock(20 * DAY);
      await report(customer.id, 40);

      const { events } = fake.advanceClock(20 * DAY);
      expect(eventTypes(events)).toEqual(['customer.subscription.deleted', 'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']);
      const final = events[3].data.object as Stripe.Invoice;
      expect(final).toMatchObject({ billing_reason: 'subscription_cycle', total: 500, amount_paid: 500 });
      expect(final.lines.data.map(({ quantity, period }) => ({ quantity, period }))).toEqual([{ quantity: 100, period: { start: T0, end: FEB_15 } }]);
      expect((events[0].data.object as Stripe.Subscription).latest_invoice).toBe(final.id);
    });

    it('drops the unfinished period’s usage on an immediate cancel, unless invoice_now asks for a final invoice', async () => {
      const dropped = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: licensed.id }, { price: metered.id }] });
      await report(customer.id, 10);
      const invoicesBefore = fake.invoices.count;
      await stripe.subscriptions.cancel(dropped.id);
      expect(fake.invoices.count).toBe(invoicesBefore);

      const billed = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: licensed.id }, { price: metered.id }] });
      fake.advanceClock(DAY);
      const canceled = await stripe.subscriptions.cancel(billed.id, { invoice_now: true });
      const final = await stripe.invoices.retrieve(canceled.latest_invoice as string);
      expect(final).toMatchObject({ status: 'paid', total: 50 });
      expect(final.lines.data[0]).toMatchObject({ quantity: 10, period: { start: T0, end: T0 + DAY } });
    });
  });
});
