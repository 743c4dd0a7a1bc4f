import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

const SECRET = 'whsec_test_secret';

/** A webhook receiver that verifies signatures with the real stripe package, as a host app would, on the fake's clock. */
class WebhookReceiver {
  readonly received: Stripe.Event[] = [];
  /** The `t=` of each delivery's signature. */
  readonly signedAt: number[] = [];
  failWith: number | null = null;
  private server!: Server;

  constructor(private readonly nowSeconds: () => number) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        this.signedAt.push(Number(/t=(\d+)/.exec(String(req.headers['stripe-signature']))?.[1]));
        try {
          const event = await Stripe.webhooks.constructEventAsync(Buffer.concat(chunks), req.headers['stripe-signature'] as string, SECRET, undefined, undefined, this.nowSeconds() * 1000);
          this.received.push(event);
          res.writeHead(this.failWith ?? 200).end(JSON.stringify({ received: true }));
        } catch (error) {
          res.writeHead(400).end((error as Error).message);
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/stripe`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('FakeStripe events and webhooks', () => {
  let now = 1_800_000_000;
  let fake: FakeStripe;
  let stripe: Stripe;
  let price: Stripe.Price;
  let customer: Stripe.Customer;

  beforeAll(async () => {
    fake = await FakeStripe.start({ now: () => now });
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(async () => {
    fake.reset();
    fake.setWebhookEndpoint(null);
    price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Solo' } });
    customer = await stripe.customers.create({ email: 'events@example.com' });
  });

  it('records events in the current envelope, with the causing request and previous_attributes', async () => {
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], metadata: { plan: 'solo' } }, { idempotencyKey: 'create-sub-1' });
    const updated = await stripe.subscriptions.update(subscription.id, { metadata: { plan: 'team' }, cancel_at_period_end: true });

    const [latest] = (await stripe.events.list({ limit: 1 })).data;
    expect(latest).toMatchObject({
      object: 'event',
      type: 'customer.subscription.updated',
      api_version: '2026-10-28.endive',
      created: now,
      livemode: false,
      pending_webhooks: 0,
      request: { id: updated.lastResponse.requestId, idempotency_key: expect.stringMatching(/^stripe-node-retry-/) },
    });
    expect(latest.id).toMatch(/^evt_/);
    expect(latest.data.object).toMatchObject({ id: subscription.id, metadata: { plan: 'team' }, cancel_at_period_end: true });
    expect(latest.data.previous_attributes).toEqual({ metadata: { plan: 'solo' }, cancel_at_period_end: false, cancel_at: null, canceled_at: null, cancellation_details: expect.objectContaining({ reason: null }) });

    const created = await stripe.events.list({ type: 'customer.subscription.created' });
    expect(created.data).toHaveLength(1);
    expect(created.data[0].request).toEqual({ id: subscription.lastResponse.requestId, idempotency_key: 'create-sub-1' });
    // Snapshots are frozen at emission time.
    expect(created.data[0].data.object).toMatchObject({ metadata: { plan: 'solo' }, cancel_at_period_end: false });
  });

  it('filters by type, types[], wildcard and created, newest first', async () => {
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    now += 100;
    const later = await stripe.customers.update(customer.id, { name: 'Later' });

    const all = await stripe.events.list({ limit: 100 });
    expect(all.data.map((event) => event.created)).toEqual([...all.data.map((event) => event.created)].sort((a, b) => b - a));
    expect(all.data[0].type).toBe('customer.updated');

    const invoices = await stripe.events.list({ type: 'invoice.*', limit: 100 });
    expect(invoices.data.map((event) => event.type)).toEqual(['invoice.payment_succeeded', 'invoice.paid', 'invoice.finalized', 'invoice.created']);
    const picked = await stripe.events.list({ types: ['invoice.paid', 'customer.updated'] });
    expect(picked.data.map((event) => event.type)).toEqual(['customer.updated', 'invoice.paid']);
    const recent = await stripe.events.list({ created: { gte: now } });
    expect(recent.data).toHaveLength(1);
    expect(recent.data[0].data.object).toMatchObject({ id: later.id, name: 'Later' });

    const both = await rejectionOf(stripe.events.list({ type: 'invoice.paid', types: ['invoice.paid'] }));
    expect(both).toMatchObject({ statusCode: 400, param: 'types' });
  });

  it('lists undelivered events with delivery_success=false', async () => {
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const paid = fake.events.find((event) => event.type === 'invoice.paid');
    expect(paid).toBeDefined();
    expect((await stripe.events.list({ delivery_success: false })).data).toHaveLength(0);
    fake.markUndelivered(paid!.id);
    const undelivered = await stripe.events.list({ delivery_success: false });
    expect(undelivered.data.map((event) => event.id)).toEqual([paid!.id]);
    expect(undelivered.data[0].pending_webhooks).toBe(1);
    expect((await stripe.events.list({ delivery_success: true, limit: 100 })).data.map((event) => event.id)).not.toContain(paid!.id);
    fake.markDelivered(paid!.id);
    expect((await stripe.events.list({ delivery_success: false })).data).toHaveLength(0);
  });

  it('retrieves one event and 404s unknown ids', async () => {
    const event = fake.events.find((candidate) => candidate.type === 'customer.created')!;
    expect(await stripe.events.retrieve(event.id)).toMatchObject({ id: event.id, type: 'customer.created', data: { object: { id: customer.id } } });
    expect(await rejectionOf(stripe.events.retrieve('evt_missing'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  describe('signed delivery', () => {
    const receiver = new WebhookReceiver(() => now);
    let url: string;

    beforeAll(async () => {
      url = await receiver.start();
    });

    afterAll(() => receiver.stop());

    beforeEach(() => {
      receiver.received.length = 0;
      receiver.signedAt.length = 0;
      receiver.failWith = null;
    });

    it('deliver() posts an event with a Stripe-Signature the stripe package accepts', async () => {
      const event = fake.events.find((candidate) => candidate.type === 'customer.created')!;
      const result = await fake.deliver(event, { url, secret: SECRET });
      expect(result).toMatchObject({ status: 200, ok: true });
      expect(JSON.parse(result.body)).toEqual({ received: true });
      expect(receiver.received[0]).toEqual(event);
      expect(receiver.signedAt).toEqual([now]); // Stripe signs at its own time: the fake's clock

      const forged = await fake.deliver(event.id, { url, secret: 'whsec_wrong' });
      expect(forged.status).toBe(400);
      expect(forged.body).toContain('No signatures found matching the expected signature');
      expect(fake.events.get(event.id)?.pending_webhooks).toBe(1);
    });

    it('pushes every new event to a configured endpoint, in order, and tracks failures', async () => {
      fake.setWebhookEndpoint({ url, secret: SECRET });
      const session = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], customer: customer.id });
      const { events } = fake.completeCheckoutSession(session.id);
      await fake.flushWebhooks();
      expect(receiver.received.map((event) => event.id)).toEqual(events.map((event) => event.id));
      expect(fake.events.get(events[0].id)?.pending_webhooks).toBe(0);

      receiver.failWith = 500;
      await stripe.customers.update(customer.id, { name: 'Failing delivery' });
      await fake.flushWebhooks();
      const undelivered = await stripe.events.list({ delivery_success: false });
      expect(undelivered.data.map((event) => event.type)).toEqual(['customer.updated']);
      expect(fake.webhookAttempts[fake.webhookAttempts.length - 1]).toMatchObject({ type: 'customer.updated', status: 500 });
    });
  });
});
