import { LitestripeEvents, StripeEventLog, StripeSubscription, WebhookInboxService } from '@litestripe/nestjs';
import { buildStripeEvent, stripeId } from '@litestripe/nestjs/testing';
import { Client } from 'pg';
import { SubscriptionScenario, T0 } from './support/scenario';
import { createTestApp, TestApp } from './support/test-app';
import { testDatabaseUrl } from './support/test-database';

const MAX_DEPTH = 5;

/** Waits until `check` holds, polling every 10 ms, for at most 5 s. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (check(value) || i >= 500) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A connection that holds the advisory lock of ordering keys, as another instance's applier holds
 * them while it applies their events.
 */
class KeyHolder {
  private constructor(private readonly client: Client) {}

  static async connect(): Promise<KeyHolder> {
    const client = new Client({ connectionString: await testDatabaseUrl() });
    await client.connect();
    return new KeyHolder(client);
  }

  async hold(key: string): Promise<void> {
    await this.client.query(`SELECT pg_advisory_lock(hashtextextended('litestripe:' || $1::text, 0))`, [key]);
  }

  async release(key: string): Promise<void> {
    await this.client.query(`SELECT pg_advisory_unlock(hashtextextended('litestripe:' || $1::text, 0))`, [key]);
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

describe('deferred webhook processing (the inbox)', () => {
  let t: TestApp;
  let inbox: WebhookInboxService;
  let keys: KeyHolder;
  beforeAll(async () => {
    t = await createTestApp({ options: { webhookProcessing: 'deferred', inbox: { sweepIntervalMs: 60_000 } } });
    inbox = t.app.get(WebhookInboxService);
    keys = await KeyHolder.connect();
  });
  afterAll(async () => {
    await keys.close();
    await t.close();
  });
  beforeEach(() => t.recorder.clear());

  const log = (id: string) => t.dataSource.getRepository(StripeEventLog).findOneByOrFail({ id });
  const row = (id: string) => t.dataSource.getRepository(StripeSubscription).findOneBy({ id });
  const applied = (id: string) => eventually(() => log(id), (entry) => entry.outcome !== 'pending');

  it('answers queued after one write, then applies the event and emits its domain events', async () => {
    const s = new SubscriptionScenario();
    const event = s.subscription('created', { status: 'active' }, T0);
    const res = await t.deliver(event);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: 'queued' });
    await inbox.drain();
    expect(await row(s.subscriptionId)).toMatchObject({ status: 'active' });
    expect(await log(event.id)).toMatchObject({ outcome: 'processed', attempts: 1, work: null, availableAt: null, orderingKey: s.subscriptionId });
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionCreated]);
    expect((await t.deliver(event)).body.outcome).toBe('duplicate');
    await inbox.drain();
    expect(t.recorder.names()).toHaveLength(1);
  });

  it('records an event it does not handle, or of the other mode, with its outcome at once, and queues nothing', async () => {
    const charge = buildStripeEvent('charge.succeeded', { id: stripeId('ch'), object: 'charge' }, { created: T0 });
    expect((await t.deliver(charge)).body.outcome).toBe('ignored');
    const live = Object.assign(new SubscriptionScenario().subscription('updated', { status: 'active' }, T0), { livemode: true });
    expect((await t.deliver(live)).body.outcome).toBe('wrong_mode');
    expect(await log(charge.id)).toMatchObject({ outcome: 'ignored', attempts: 1, work: null });
    expect(await log(live.id)).toMatchObject({ outcome: 'wrong_mode', work: null });
    expect((await inbox.status()).depth).toBe(0);
  });

  it('keeps only what the handlers read while an event waits, never the payload, and an email only for a checkout that may be an orphan', async () => {
    const linked = new SubscriptionScenario();
    const orphan = new SubscriptionScenario();
    const withAccount = linked.checkout({ clientReferenceId: 'acct_inbox_linked', email: 'linked@example.com' }, T0);
    const withoutAccount = orphan.checkout({ clientReferenceId: null, email: 'orphan@example.com' }, T0);
    await keys.hold(linked.subscriptionId);
    await keys.hold(orphan.subscriptionId);
    try {
      expect((await t.deliver(withAccount)).body.outcome).toBe('queued');
      expect((await t.deliver(withoutAccount)).body.outcome).toBe('queued');
      await inbox.drain();
      const waiting = (await log(withAccount.id)).work as Record<string, unknown>;
      expect(waiting).toMatchObject({ sessionId: linked.checkoutSessionId, subscriptionId: linked.subscriptionId, reference: { given: 'acct_inbox_linked' }, email: null });
      expect(JSON.stringify(waiting)).not.toContain('linked@example.com');
      expect(Object.keys(waiting)).not.toEqual(expect.arrayContaining(['object', 'customer_details', 'data']));
      expect((await log(withoutAccount.id)).work).toMatchObject({ reference: { problem: 'missing_reference' }, email: 'orphan@example.com' });
    } finally {
      await keys.release(linked.subscriptionId);
      await keys.release(orphan.subscriptionId);
    }
    expect(await applied(withAccount.id)).toMatchObject({ outcome: 'processed', work: null });
    expect(await applied(withoutAccount.id)).toMatchObject({ outcome: 'processed', work: null });
    expect(await row(linked.subscriptionId)).toMatchObject({ accountRef: 'acct_inbox_linked' });
    const stored: { email: string }[] = await t.dataSource.query('SELECT "email" FROM litestripe_orphaned_payment WHERE "subscription_id" = $1', [orphan.subscriptionId]);
    expect(stored).toEqual([{ email: 'orphan@example.com' }]);
  });

  it("applies one subscription's events in created order whatever order they arrived in, each domain event once", async () => {
    const s = new SubscriptionScenario();
    const events = [
      s.subscription('deleted', { status: 'canceled', endedAt: T0 + 50 }, T0 + 50),
      s.checkout({ clientReferenceId: 'acct_inbox_order' }, T0 + 1),
      s.subscription('created', { status: 'active' }, T0),
      s.invoice('invoice.paid', stripeId('in'), T0 + 2),
    ];
    const ids = events.map((event) => event.id);
    await keys.hold(s.subscriptionId);
    try {
      for (const event of events) expect((await t.deliver(event)).body.outcome).toBe('queued');
      // The applier retries held events every 50 ms, and a batch under way would release its events
      // over what is written here: first park all four out of its reach until none is in a batch
      // (a batch leases them for seconds, not an hour), then make them due at one instant, so that
      // one batch takes them together.
      const setDue = (interval: string) => t.dataSource.query(`UPDATE litestripe_event SET "available_at" = now() + $2::interval WHERE "id" = ANY($1::text[])`, [ids, interval]);
      const parked = async () => {
        await setDue('1 hour');
        await inbox.drain();
        const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM litestripe_event WHERE "id" = ANY($1::text[]) AND "available_at" > now() + interval '30 minutes'`, [ids]);
        return n as number;
      };
      expect(await eventually(parked, (n) => n === ids.length)).toBe(ids.length);
      await setDue('200 milliseconds');
    } finally {
      await keys.release(s.subscriptionId);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    await inbox.drain();
    for (const id of ids) expect((await applied(id)).outcome).toBe('processed');
    expect(await row(s.subscriptionId)).toMatchObject({ status: 'canceled', accountRef: 'acct_inbox_order' });
    const names = t.recorder.names();
    const story = [LitestripeEvents.SubscriptionCreated, LitestripeEvents.SubscriptionActivated, LitestripeEvents.SubscriptionDeleted];
    for (const name of [...story, LitestripeEvents.CheckoutCompleted, LitestripeEvents.PaymentSucceeded]) expect(names.filter((n) => n === name)).toHaveLength(1);
    // Published after the batch commits, in the order the events were applied.
    expect(story.map((name) => names.indexOf(name))).toEqual([...story.map((name) => names.indexOf(name))].sort((a, b) => a - b));
  });

  it('leaves the events of a subscription another applier holds to it, and applies the others meanwhile', async () => {
    const held = new SubscriptionScenario();
    const free = new SubscriptionScenario();
    await keys.hold(held.subscriptionId);
    let heldEvent;
    try {
      heldEvent = held.subscription('created', { status: 'active' }, T0);
      const freeEvent = free.subscription('created', { status: 'active' }, T0);
      expect((await t.deliver(heldEvent)).body.outcome).toBe('queued');
      expect((await t.deliver(freeEvent)).body.outcome).toBe('queued');
      await inbox.drain();
      expect((await log(freeEvent.id)).outcome).toBe('processed');
      expect((await log(heldEvent.id)).outcome).toBe('pending');
      expect(await row(held.subscriptionId)).toBeNull();
    } finally {
      await keys.release(held.subscriptionId);
    }
    expect((await applied(heldEvent.id)).outcome).toBe('processed');
    expect(await row(held.subscriptionId)).toMatchObject({ status: 'active' });
  });

  it('wakes the appliers by NOTIFY for events no webhook of theirs stored, with the sweep a minute away', async () => {
    const s = new SubscriptionScenario();
    const invoiceId = stripeId('in');
    const eventId = stripeId('evt');
    const work = { invoiceId, subscriptionId: s.subscriptionId, customerId: s.customerId, status: 'succeeded', livemode: false, amount: 900, currency: 'eur', created: T0 };
    await t.dataSource.query(
      `INSERT INTO litestripe_event ("id", "type", "livemode", "stripe_created", "outcome", "attempts", "ordering_key", "work", "available_at")
       VALUES ($1, 'invoice.paid', false, to_timestamp($2), 'pending', 0, $3, $4::jsonb, now())`,
      [eventId, T0, s.subscriptionId, JSON.stringify(work)],
    );
    await t.dataSource.query(`SELECT pg_notify('litestripe_inbox', '')`);
    expect((await applied(eventId)).outcome).toBe('processed');
    expect(await row(s.subscriptionId)).toMatchObject({ latestInvoiceId: invoiceId, latestPaymentStatus: 'succeeded' });
  });
});

describe('deferred webhook processing: a full inbox', () => {
  let t: TestApp;
  let inbox: WebhookInboxService;
  beforeAll(async () => {
    t = await createTestApp({ options: { webhookProcessing: 'deferred', inbox: { maxDepth: MAX_DEPTH, sweepIntervalMs: 60_000 } } });
    inbox = t.app.get(WebhookInboxService);
  });
  afterAll(() => t.close());

  it('answers 503 past inbox.maxDepth, storing nothing, and reports the depth and how long the oldest event has waited', async () => {
    const filler = Array.from({ length: MAX_DEPTH }, () => stripeId('evt'));
    // Events another instance leased two seconds ago and has not applied yet.
    await t.dataSource.query(
      `INSERT INTO litestripe_event ("id", "type", "livemode", "stripe_created", "outcome", "attempts", "ordering_key", "work", "available_at", "received_at")
       SELECT id, 'invoice.paid', false, to_timestamp($2), 'pending', 0, 'sub_elsewhere', '{}', now() + interval '1 hour', now() - interval '2 seconds' FROM unnest($1::text[]) AS id`,
      [filler, T0],
    );
    try {
      await inbox.drain(); // the applier counts the depth whenever it looks for work
      const event = new SubscriptionScenario().subscription('created', { status: 'active' }, T0);
      const refused = await t.deliver(event);
      expect(refused.status).toBe(503);
      expect(refused.body.message).toBe('Inbox full; Stripe will retry this event');
      expect(await t.dataSource.getRepository(StripeEventLog).findOneBy({ id: event.id })).toBeNull();
      const status = await inbox.status();
      expect(status).toMatchObject({ webhookProcessing: 'deferred', depth: MAX_DEPTH, maxDepth: MAX_DEPTH, failed: 0 });
      expect(status.lagMs).toBeGreaterThanOrEqual(2000);
      // An event the module would not queue is still recorded: it adds nothing to the inbox.
      expect((await t.deliver(buildStripeEvent('charge.refunded', { id: stripeId('ch'), object: 'charge' }, { created: T0 }))).body.outcome).toBe('ignored');
    } finally {
      await t.dataSource.query('DELETE FROM litestripe_event WHERE "id" = ANY($1::text[])', [filler]);
    }
    await inbox.drain();
    expect(await inbox.status()).toMatchObject({ depth: 0, lagMs: 0, failed: 0 });
    expect((await t.deliver(new SubscriptionScenario().subscription('created', { status: 'active' }, T0))).body.outcome).toBe('queued');
    await inbox.drain();
  });

});

describe('deferred webhook processing: an event that keeps failing', () => {
  let t: TestApp;
  let inbox: WebhookInboxService;
  let accountsDown = true;
  /** Accounts whose next validation fails, as a brief outage of the accounts service would. */
  const failOnce = new Set<string>();
  beforeAll(async () => {
    t = await createTestApp({
      options: {
        webhookProcessing: 'deferred',
        inbox: { maxAttempts: 3, retryBackoffMs: 20, sweepIntervalMs: 60_000 },
        validateClientReference: (reference) => {
          if (reference === 'acct_poisoned' && accountsDown) throw new Error('the accounts service is down');
          if (failOnce.delete(reference)) throw new Error('the accounts service blinked');
          return true;
        },
      },
    });
    inbox = t.app.get(WebhookInboxService);
  });
  afterAll(() => t.close());

  const log = (id: string) => t.dataSource.getRepository(StripeEventLog).findOneByOrFail({ id });

  it('is retried with backoff, then kept as failed and listed, without holding up other subscriptions; a retry applies it once fixed', async () => {
    const poisoned = new SubscriptionScenario();
    const healthy = new SubscriptionScenario();
    const poison = poisoned.checkout({ clientReferenceId: 'acct_poisoned' }, T0);
    const fine = healthy.checkout({ clientReferenceId: 'acct_healthy' }, T0);
    expect((await t.deliver(poison)).body.outcome).toBe('queued');
    expect((await t.deliver(fine)).body.outcome).toBe('queued');

    const failed = await eventually(() => log(poison.id), (entry) => entry.outcome === 'failed');
    expect(failed).toMatchObject({ outcome: 'failed', attempts: 3, lastError: expect.stringContaining('the accounts service is down') });
    expect(failed.work).not.toBeNull();
    expect((await log(fine.id)).outcome).toBe('processed');
    expect(await t.dataSource.getRepository(StripeSubscription).findOneBy({ id: poisoned.subscriptionId })).toBeNull();
    expect(t.recorder.events.filter((e) => e.payload?.stripeEvent?.id === poison.id)).toEqual([]);

    expect(await inbox.listFailed()).toEqual([
      expect.objectContaining({ id: poison.id, type: 'checkout.session.completed', orderingKey: poisoned.subscriptionId, attempts: 3, retryable: true }),
    ]);
    expect(await inbox.status()).toMatchObject({ depth: 0, failed: 1 });
    // A redelivery of a failed event is no duplicate: it is queued again, as inline processing claims it again.
    accountsDown = false;
    expect(await inbox.retryFailed(['evt_unknown', fine.id])).toEqual([]);
    expect(await inbox.retryFailed([poison.id])).toEqual([poison.id]);
    expect((await eventually(() => log(poison.id), (entry) => entry.outcome !== 'pending')).outcome).toBe('processed');
    expect(await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: poisoned.subscriptionId })).toMatchObject({ accountRef: 'acct_poisoned' });
    expect(await inbox.listFailed()).toEqual([]);
    expect(await inbox.retryFailed()).toEqual([]);
  });

  it('queues a failed event again when Stripe redelivers it', async () => {
    accountsDown = true;
    const s = new SubscriptionScenario();
    const poison = s.checkout({ clientReferenceId: 'acct_poisoned' }, T0);
    await t.deliver(poison);
    await eventually(() => log(poison.id), (entry) => entry.outcome === 'failed');
    accountsDown = false;
    expect((await t.deliver(poison)).body.outcome).toBe('queued');
    expect((await eventually(() => log(poison.id), (entry) => entry.outcome !== 'pending')).outcome).toBe('processed');
  });

  // The backoff runs out on PostgreSQL's clock: a wake-up timed on this process's clock alone fired
  // a little early now and then, found nothing due, and left the retry to the sweep (here a minute away).
  it('tries a failed attempt again when its backoff runs out, not at the next sweep', async () => {
    for (let n = 0; n < 100; n++) {
      const reference = `acct_blink_${n}`;
      failOnce.add(reference);
      const event = new SubscriptionScenario().checkout({ clientReferenceId: reference }, T0);
      expect((await t.deliver(event)).body.outcome).toBe('queued');
      expect(await eventually(() => log(event.id), (entry) => entry.outcome !== 'pending')).toMatchObject({ outcome: 'processed', attempts: 2 });
    }
  }, 60_000);
});
