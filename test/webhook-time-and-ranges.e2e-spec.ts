import { DomainEventOutboxEntry, StripeSubscription } from '@litestripe/nestjs';
import { buildStripeEvent, signStripePayload, stripeId } from '@litestripe/nestjs/testing';
import request from 'supertest';
import { expectNothingStored, JSON_CONTENT_TYPE, postRaw, signedHeaders, storedCounts } from './support/raw-webhook';
import { SubscriptionScenario } from './support/scenario';
import { invoiceObject } from './support/stripe-objects';
import { Adapter, createTestApp, TestApp, WEBHOOK_SECRET } from './support/test-app';
import { truncateTables } from './support/test-database';

/**
 * Time in signatures and events, and numbers no Stripe object has: a `Stripe-Signature` with two
 * `t=`, an event dated beyond the tolerance ahead of the module's clock, and a payload number
 * out of range are each answered 400 and write nothing (no event row, no subscription row, no
 * orphan, no domain event), and the next valid delivery still goes through.
 */

/** Not the default (300 s): the bound must come from the option. */
const TOLERANCE = 120;
const DAY = 86_400;
/** A period end no real payload has, replaced in the body's text by what JSON.stringify cannot write. */
const PLACEHOLDER = 4_242_424_242;

describe.each(['express', 'fastify'] as Adapter[])('webhook time and number ranges (%s)', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ adapter, options: { webhookToleranceSeconds: TOLERANCE } });
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    t.clock.reset();
    await truncateTables(t.dataSource);
    t.recorder.clear();
  });

  const row = (id: string) => t.dataSource.getRepository(StripeSubscription).findOneBy({ id });

  /** A refused delivery: 400 with `message`, nothing stored, no domain event, and no sign of a failed write. */
  async function expectRefused(res: request.Response, message: string | RegExp): Promise<void> {
    expect(res.status).toBe(400);
    if (typeof message === 'string') expect(res.body.message).toBe(message);
    else expect(res.body.message).toMatch(message);
    expect(res.text).not.toMatch(/could not record|retry/i);
    await expectNothingStored(t);
    expect(await t.dataSource.getRepository(DomainEventOutboxEntry).count()).toBe(0);
  }

  /** A valid event for the same subscription, at the clock's time, is applied as usual. */
  async function expectStillWorks(s: SubscriptionScenario): Promise<void> {
    const res = await t.deliver(s.subscription('created', { status: 'active' }, t.clock.seconds()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: 'processed' });
    expect(await row(s.subscriptionId)).toMatchObject({ status: 'active', quantity: 1 });
    expect(t.recorder.names()).toContain('litestripe.subscription.created');
  }

  describe('a Stripe-Signature header with more than one t=', () => {
    /** A body that would write a row if accepted, and the `v1=` part of its signature at `timestamp`. */
    async function signedAt(timestamp: number) {
      const s = new SubscriptionScenario();
      const body = JSON.stringify(s.subscription('created', { status: 'active' }, t.clock.seconds()), null, 2);
      const v1 = (await signStripePayload(body, WEBHOOK_SECRET, timestamp)).split(',').find((part) => part.startsWith('v1='))!;
      return { s, body, v1 };
    }

    it.each([
      ['the valid t= first, an old one second', (now: number, v1: string) => `t=${now},t=${now - DAY},${v1}`],
      ['an old t= first, the valid one second', (now: number, v1: string) => `t=${now - DAY},t=${now},${v1}`],
      ['the valid t= first, the same one again', (now: number, v1: string) => `t=${now},${v1},t=${now}`],
    ])('refuses %s as malformed', async (_, headerOf) => {
      const now = t.clock.seconds();
      const { s, body, v1 } = await signedAt(now);
      const res = await postRaw(t, body, { 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': headerOf(now, v1) });
      await expectRefused(res, 'Malformed Stripe-Signature header');
      await expectStillWorks(s);
    });

    it('refuses a signature made for a time ahead of the tolerance, hidden behind a current t=', async () => {
      const now = t.clock.seconds();
      const ahead = now + DAY;
      const { s, body, v1 } = await signedAt(ahead);
      const res = await postRaw(t, body, { 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': `t=${now},t=${ahead},${v1}` });
      await expectRefused(res, 'Malformed Stripe-Signature header');
      // The same signature on its own is refused by the future bound, as before.
      const alone = await postRaw(t, body, { 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': `t=${ahead},${v1}` });
      await expectRefused(alone, 'Signature timestamp outside the tolerance zone');
      await expectStillWorks(s);
    });

    it('refuses two Stripe-Signature header lines, each valid on its own', async () => {
      const now = t.clock.seconds();
      const { s, body } = await signedAt(now);
      const header = await signStripePayload(body, WEBHOOK_SECRET, now);
      const res = await request(t.app.getHttpServer())
        .post(t.webhookUrl)
        .set('content-type', JSON_CONTENT_TYPE)
        .set('stripe-signature', [header, header] as unknown as string)
        .send(body);
      await expectRefused(res, 'Malformed Stripe-Signature header');
      await expectStillWorks(s);
    });
  });

  describe('an event created ahead of the module clock', () => {
    it('refuses an event created beyond the tolerance ahead, signed now', async () => {
      const s = new SubscriptionScenario();
      const res = await t.deliver(s.subscription('updated', { status: 'active' }, t.clock.seconds() + TOLERANCE + 1));
      await expectRefused(res, 'Event created further in the future than the tolerance zone');
      await expectStillWorks(s);
    });

    it('cannot freeze a row: after a future-dated update is refused, the real deletion is applied', async () => {
      const s = new SubscriptionScenario();
      expect((await t.deliver(s.subscription('created', { status: 'active' }, t.clock.seconds()))).status).toBe(200);
      t.recorder.clear();

      // Signed now, dated a year ahead: were it applied, ordering would refuse every real event until then.
      const frozen = await t.deliver(s.subscription('updated', { status: 'active', quantity: 7 }, t.clock.seconds() + 365 * DAY));
      expect(frozen.status).toBe(400);
      expect(frozen.body.message).toBe('Event created further in the future than the tolerance zone');
      expect(await storedCounts(t.dataSource)).toEqual({ events: 1, subscriptions: 1, orphans: 0 });
      expect(await row(s.subscriptionId)).toMatchObject({ status: 'active', quantity: 1 });
      expect(t.recorder.names()).toEqual([]);

      t.clock.advance(60);
      const now = t.clock.seconds();
      const deleted = await t.deliver(s.subscription('deleted', { status: 'canceled', canceledAt: now, endedAt: now }, now));
      expect(deleted.status).toBe(200);
      expect(deleted.body.outcome).toBe('processed');
      expect(await row(s.subscriptionId)).toMatchObject({ status: 'canceled', endedAt: new Date(now * 1000), eventCreated: now });
      expect(t.recorder.names()).toContain('litestripe.subscription.deleted');
    });

    it.each([
      [TOLERANCE, 200],
      [TOLERANCE + 1, 400],
    ])('measures on the module clock (a day ahead of the wall clock): created %i s after its time answers %i', async (offset, status) => {
      t.clock.advance(DAY);
      const s = new SubscriptionScenario();
      const res = await t.deliver(s.subscription('created', { status: 'active' }, t.clock.seconds() + offset));
      expect(res.status).toBe(status);
      expect(await storedCounts(t.dataSource)).toEqual(status === 200 ? { events: 1, subscriptions: 1, orphans: 0 } : { events: 0, subscriptions: 0, orphans: 0 });
    });

    it('refuses an event created at the wall clock’s time when the module clock is a day behind it', async () => {
      t.clock.advance(-DAY);
      const s = new SubscriptionScenario();
      const res = await t.deliver(s.subscription('created', { status: 'active' }, Math.floor(Date.now() / 1000)));
      await expectRefused(res, 'Event created further in the future than the tolerance zone');
      await expectStillWorks(s);
    });
  });

  describe('an event whose created is not a unix timestamp', () => {
    it.each([
      ['1e20', 1e20],
      ['negative', -1],
      ['not an integer', 1_764_000_000.5],
      ['a string', '1764000000'],
    ])('refuses created %s', async (_, created) => {
      const s = new SubscriptionScenario();
      const event = { ...s.subscription('created', { status: 'active' }, t.clock.seconds()), created };
      const res = await t.deliver(event);
      await expectRefused(res, 'Body is not a Stripe event');
      await expectStillWorks(s);
    });
  });

  describe('numbers out of range in the payload', () => {
    it('refuses a subscription whose item period ends at 1e300', async () => {
      const s = new SubscriptionScenario();
      const res = await t.deliver(s.subscription('created', { status: 'active', periodEnd: 1e300 }, t.clock.seconds()));
      await expectRefused(res, 'items.data[].current_period_end is out of range (1e+300)');
      await expectStillWorks(s);
    });

    it.each(['current', 'legacy'] as const)('refuses a %s-shape subscription whose period ends at 1e400 (Infinity once parsed)', async (shape) => {
      const s = new SubscriptionScenario(shape);
      const json = JSON.stringify(s.subscription('created', { status: 'active', periodEnd: PLACEHOLDER }, t.clock.seconds()), null, 2);
      const body = json.replaceAll(String(PLACEHOLDER), '1e400');
      expect(body).not.toBe(json);
      const res = await postRaw(t, body, await signedHeaders(body, WEBHOOK_SECRET, t.clock.seconds()));
      await expectRefused(res, /current_period_end is out of range \(Infinity\)$/);
      await expectStillWorks(s);
    });

    it('refuses a subscription with a quantity of 1e12 (an integer column)', async () => {
      const s = new SubscriptionScenario();
      const res = await t.deliver(s.subscription('created', { status: 'active', quantity: 1e12 }, t.clock.seconds()));
      await expectRefused(res, 'items.data[0].quantity is out of range (1000000000000)');
      await expectStillWorks(s);
    });

    it.each([
      ['an amount_total of 1e300', { amountTotal: 1e300 }, 'amount_total is out of range (1e+300)'],
      ['created 1e15', { created: 1e15 }, 'created is out of range (1000000000000000)'],
    ])('refuses a checkout without an account (an orphan) with %s', async (_, state, message) => {
      const s = new SubscriptionScenario();
      const res = await t.deliver(s.checkout(state, t.clock.seconds()));
      await expectRefused(res, message);

      const valid = await t.deliver(s.checkout({}, t.clock.seconds()));
      expect(valid.status).toBe(200);
      expect(valid.body.outcome).toBe('processed');
      expect(await storedCounts(t.dataSource)).toEqual({ events: 1, subscriptions: 1, orphans: 1 });
      expect(t.recorder.names()).toEqual(expect.arrayContaining(['litestripe.checkout.completed', 'litestripe.payment.orphaned']));
    });

    it('refuses an invoice.paid with an amount of 1e300', async () => {
      const s = new SubscriptionScenario();
      const invoiceId = stripeId('in');
      const invoice = (amount: number) => invoiceObject({ id: invoiceId, subscription: s.subscriptionId, customer: s.customerId, amount });
      const res = await t.deliver(buildStripeEvent('invoice.paid', invoice(1e300), { created: t.clock.seconds() }));
      await expectRefused(res, 'amount_paid is out of range (1e+300)');

      const valid = await t.deliver(buildStripeEvent('invoice.paid', invoice(1900), { created: t.clock.seconds() }));
      expect(valid.status).toBe(200);
      expect(await row(s.subscriptionId)).toMatchObject({ latestInvoiceId: invoiceId, latestPaymentStatus: 'succeeded' });
      expect(t.recorder.events.find((e) => e.name === 'litestripe.payment.succeeded')?.payload).toMatchObject({ amount: 1900 });
    });
  });
});
