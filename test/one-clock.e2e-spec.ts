import request from 'supertest';
import type Stripe from 'stripe';
import { DomainEventOutboxEntry, getStripeClientToken, OrphanedPayment, OutboxService, RetentionJob, SubscriptionSyncService } from '@litestripe/nestjs';
import { signedDelivery } from '@litestripe/nestjs/testing';
import { BillingHost, startBillingHost } from './support/billing-host';
import { WEBHOOK_SECRET } from './support/test-app';

const DAY = 86_400;
/** The default `staleAfterSeconds`, `orphanEmailRetentionDays` and `outbox.retentionDays`. */
const STALE_AFTER = 3600;
const ORPHAN_EMAIL_DAYS = 30;
const OUTBOX_DAYS = 7;

/**
 * The module's clock (option `clock`) is the only time its decisions read. These tests set it, and
 * the fake Stripe's, about three years away from the process's clock: a decision that read the
 * wall clock (or PostgreSQL's) instead would come out differently here.
 */
describe('one clock: every decision reads the module clock', () => {
  const processSeconds = () => Math.floor(Date.now() / 1000); // only to show the module ignores it
  let t: BillingHost;
  beforeAll(async () => {
    t = await startBillingHost({ clockStart: processSeconds() + 1000 * DAY + 12_345, options: { refetch: 'never' } });
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  it('checks signature timestamps against the module clock, in the past and in the future', async () => {
    const { events } = await t.subscribe('acct_sig', { plan: 'basic' }, { deliver: false });
    const post = async (timestamp: number, event: object = events[0]) => {
      const { body, headers } = await signedDelivery(event, WEBHOOK_SECRET, timestamp);
      return request(t.app.getHttpServer()).post(t.webhookUrl).set(headers).send(body);
    };
    // The process's "now" is 1000 days before the module's: a replay, however fresh it is by the wall clock.
    expect((await post(processSeconds())).body.message).toBe('Signature timestamp outside the tolerance zone');
    expect((await post(t.clock.seconds())).status).toBe(200);

    t.clock.advance(-2000 * DAY); // now the process's "now" lies 1000 days ahead of the module's
    expect((await post(processSeconds())).body.message).toBe('Signature timestamp outside the tolerance zone');
    // Stripe dated that event 2000 days ahead of the module's clock now: refused, however it is signed.
    expect((await post(t.clock.seconds())).body.message).toBe('Event created further in the future than the tolerance zone');
    const dated = { ...events[0], id: `${events[0].id}_moved`, created: t.clock.seconds() };
    expect((await post(t.clock.seconds(), dated)).body).toMatchObject({ received: true });
  });

  it('decides entitlement, staleness and when to ask Stripe again by the module clock', async () => {
    const { subscription } = await t.subscribe('acct_time', { plan: 'basic' });
    expect(await t.service.getEntitlement('acct_time')).toMatchObject({ entitled: true, reason: 'active' });

    const staleAt = subscription!.items.data[0].current_period_end + STALE_AFTER + 1;
    t.fake.advanceClock(staleAt - t.fake.now()); // Stripe renews; the webhook never arrives
    t.clock.advance(staleAt - t.clock.seconds());
    t.fake.failNext(1, { status: 500, shouldRetry: false });
    t.fake.clearRequests();
    expect(await t.service.getEntitlement('acct_time')).toMatchObject({ entitled: false, reason: 'stale' });
    expect(t.fake.requests).toHaveLength(1);

    t.clock.advance(59);
    expect(await t.service.getEntitlement('acct_time')).toMatchObject({ entitled: false, reason: 'stale' });
    expect(t.fake.requests).toHaveLength(1); // not a minute yet
    t.clock.advance(1);
    expect(await t.service.getEntitlement('acct_time')).toMatchObject({ entitled: true, reason: 'active' });
    expect(t.fake.requests).toHaveLength(2);
  });

  it('asks Stripe for the events of the module clock’s last days', async () => {
    t.fake.clearRequests();
    await t.app.get(SubscriptionSyncService).replayUndelivered({ days: 3 });
    const [call] = t.fake.requests.filter((r) => r.path === '/v1/events');
    expect(Number((call.params.created as Record<string, string>).gte)).toBe(t.clock.seconds() - 3 * DAY);
  });

  it('keeps an orphan’s email and a delivered outbox entry for their retention by the module clock', async () => {
    // A payment link's checkout: no account, so an orphan that keeps the payer's email until claimed.
    const session = await t.app.get<Stripe>(getStripeClientToken()).checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: t.prices.basic.id, quantity: 1 }],
      success_url: 'https://app.example/thanks',
      customer_email: 'payer@example.com',
    });
    await t.deliver(...t.fake.completeCheckoutSession(session.id).events);
    const orphan = await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ checkoutSessionId: session.id });
    await t.billing.claimOrphanedPayment(orphan.id, 'acct_later');

    await t.app.get(OutboxService).dispatchDue(); // writes the delivery marks
    const retention = t.app.get(RetentionJob);
    const delivered = () => t.dataSource.getRepository(DomainEventOutboxEntry).countBy({});
    const before = await delivered();
    expect(before).toBeGreaterThan(0);

    t.clock.advance(OUTBOX_DAYS * DAY - 1);
    expect(await retention.sweep()).toMatchObject({ outbox: 0, orphanEmails: 0 });
    expect(await delivered()).toBe(before);
    t.clock.advance(2);
    expect(await retention.sweep()).toMatchObject({ outbox: before, orphanEmails: 0 });
    expect(await delivered()).toBe(0);

    t.clock.advance((ORPHAN_EMAIL_DAYS - OUTBOX_DAYS) * DAY - 2);
    expect(await t.billing.eraseExpiredOrphanEmails()).toBe(0);
    t.clock.advance(1);
    expect(await t.billing.eraseExpiredOrphanEmails()).toBe(1);
  });
});
