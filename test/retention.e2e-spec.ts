import { DomainEventOutboxEntry, OrphanedPayment, OutboxService, RetentionJob, StripeEventLog, UsageService } from '@litestripe/nestjs';
import { buildStripeEvent, stripeId } from '@litestripe/nestjs/testing';
import { SubscriptionScenario } from './support/scenario';
import { createTestApp, TestApp } from './support/test-app';
import { truncateTables } from './support/test-database';

const DAY = 86_400;
/** The defaults of `eventLogRetentionDays`, `outbox.retentionDays` and `orphanEmailRetentionDays`. */
const EVENT_LOG_DAYS = 30;
const OUTBOX_DAYS = 7;

/** A subscription event Stripe created `created`, applied when delivered. */
const processedEvent = (created: number) => new SubscriptionScenario().subscription('created', { status: 'active' }, created);
/** An event of a type the module does not handle, recorded as ignored. */
const ignoredEvent = (created: number) => buildStripeEvent('customer.created', { id: stripeId('cus'), object: 'customer' }, { created });

/** Events whose processing failed stay, whatever their age: Stripe may still deliver them. */
async function insertFailed(t: TestApp, created: number): Promise<string> {
  const id = stripeId('evt');
  await t.dataSource.query(
    `INSERT INTO litestripe_event ("id", "type", "livemode", "stripe_created", "outcome", "attempts", "last_error") VALUES ($1, 'customer.subscription.updated', false, to_timestamp($2), 'failed', 3, 'Error: boom')`,
    [id, created],
  );
  return id;
}

const loggedIds = async (t: TestApp) => (await t.dataSource.getRepository(StripeEventLog).find()).map((e) => e.id).sort();

describe('retention: one job for the event log, the outbox, orphan emails and usage keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ options: { outbox: { pollIntervalMs: 0 } } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    t.clock.reset();
    await truncateTables(t.dataSource);
  });
  const sweep = () => t.app.get(RetentionJob).sweep();

  it('purges processed and ignored events Stripe created before the retention, keeps failed ones and newer ones', async () => {
    const now = t.clock.seconds();
    const oldProcessed = processedEvent(now - (EVENT_LOG_DAYS + 1) * DAY);
    const oldIgnored = ignoredEvent(now - (EVENT_LOG_DAYS + 1) * DAY);
    const recent = processedEvent(now - (EVENT_LOG_DAYS - 1) * DAY);
    expect((await t.deliver(oldProcessed)).body.outcome).toBe('processed');
    expect((await t.deliver(oldIgnored)).body.outcome).toBe('ignored');
    expect((await t.deliver(recent)).body.outcome).toBe('processed');
    const oldFailed = await insertFailed(t, now - 90 * DAY);

    expect(await sweep()).toEqual({ events: 2, outbox: 0, orphanEmails: 0, guestEmails: 0, usage: 0 });
    expect(await loggedIds(t)).toEqual([recent.id, oldFailed].sort());
    // Still in the log: a redelivery of the recent one changes nothing.
    expect((await t.deliver(recent)).body.outcome).toBe('duplicate');
    expect(await sweep()).toEqual({ events: 0, outbox: 0, orphanEmails: 0, guestEmails: 0, usage: 0 });
  });

  it('purges every outcome but failed', async () => {
    const created = t.clock.seconds() - (EVENT_LOG_DAYS + 1) * DAY;
    for (const outcome of ['processed', 'link_conflict', 'ignored', 'wrong_mode', 'connected_account']) {
      await t.dataSource.query(`INSERT INTO litestripe_event ("id", "type", "livemode", "stripe_created", "outcome") VALUES ($1, 'customer.subscription.updated', false, to_timestamp($2), $3)`, [
        stripeId('evt'),
        created,
        outcome,
      ]);
    }
    const failed = await insertFailed(t, created);
    expect((await sweep()).events).toBe(5);
    expect(await loggedIds(t)).toEqual([failed]);
  });

  it('dates the cutoff by the module clock and Stripe’s created, not by when the event arrived', async () => {
    const event = processedEvent(t.clock.seconds());
    await t.deliver(event);

    t.clock.advance(EVENT_LOG_DAYS * DAY);
    expect((await sweep()).events).toBe(0);
    expect((await t.deliver(event)).body.outcome).toBe('duplicate');
    t.clock.advance(1);
    expect((await sweep()).events).toBe(1);
    expect(await loggedIds(t)).toEqual([]);
  });

  it('purges delivered outbox entries and erases expired orphan emails in the same sweep', async () => {
    // A checkout that carried no account: an orphan that keeps the payer's email until it is resolved.
    const s = new SubscriptionScenario();
    await t.deliver(s.checkout({ clientReferenceId: null, email: 'payer@example.com' }, t.clock.seconds()));
    const orphan = () => t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ checkoutSessionId: s.checkoutSessionId });
    expect((await orphan()).email).toBe('payer@example.com');
    // Resolved now (a claim asks Stripe; this app has none).
    await t.dataSource.query('UPDATE litestripe_orphaned_payment SET "resolved_at" = $1', [t.clock.now()]);
    await t.app.get(OutboxService).dispatchDue(); // writes the delivery marks
    const outboxEntries = () => t.dataSource.getRepository(DomainEventOutboxEntry).count();
    const delivered = await outboxEntries();
    expect(delivered).toBeGreaterThan(0);
    expect(await sweep()).toEqual({ events: 0, outbox: 0, orphanEmails: 0, guestEmails: 0, usage: 0 });

    t.clock.advance(OUTBOX_DAYS * DAY + 1);
    expect(await sweep()).toEqual({ events: 0, outbox: delivered, orphanEmails: 0, guestEmails: 0, usage: 0 });
    t.clock.advance((EVENT_LOG_DAYS - OUTBOX_DAYS) * DAY);
    expect(await sweep()).toEqual({ events: 1, outbox: 0, orphanEmails: 1, guestEmails: 0, usage: 0 });
    expect((await orphan()).email).toBeNull();
    expect(await outboxEntries()).toBe(0);
    expect(await loggedIds(t)).toEqual([]);
  });

  it('forgets usage idempotency keys and reported meter events 35 days after, by the module clock', async () => {
    const usage = t.app.get(UsageService);
    expect(await usage.record('acct_keys', 'api_calls', 10, { idempotencyKey: 'job-1' })).toMatchObject({ used: 10, duplicate: false });
    await t.dataSource.query(`INSERT INTO litestripe_meter_event (identifier, event_name, customer_id, value, occurred_at, reported_at) VALUES ('ls_done', 'api_calls', 'cus_1', 1, $1, $1)`, [t.clock.now()]);
    await t.dataSource.query(`INSERT INTO litestripe_meter_event (identifier, event_name, customer_id, value, occurred_at) VALUES ('ls_waiting', 'api_calls', 'cus_1', 1, $1)`, [t.clock.now()]);

    t.clock.advance(35 * DAY);
    expect((await sweep()).usage).toBe(0);
    expect(await usage.record('acct_keys', 'api_calls', 10, { idempotencyKey: 'job-1' })).toMatchObject({ duplicate: true });
    t.clock.advance(1);
    expect((await sweep()).usage).toBe(2);
    // The key is forgotten; a use still waiting for Stripe is kept whatever its age.
    expect(await usage.record('acct_keys', 'api_calls', 10, { idempotencyKey: 'job-1' })).toMatchObject({ duplicate: false });
    expect(await t.dataSource.query(`SELECT identifier FROM litestripe_meter_event`)).toEqual([{ identifier: 'ls_waiting' }]);
  });

  it('purges in batches until the log is done', async () => {
    const created = t.clock.seconds() - (EVENT_LOG_DAYS + 1) * DAY;
    await t.dataSource.query(
      `INSERT INTO litestripe_event ("id", "type", "livemode", "stripe_created", "outcome")
       SELECT 'evt_bulk_' || n, 'customer.subscription.updated', false, to_timestamp($1), 'processed' FROM generate_series(1, 12001) AS n`,
      [created],
    );
    const kept = processedEvent(t.clock.seconds());
    await t.deliver(kept);
    const queries = jest.spyOn(t.dataSource, 'query'); // records, calls through
    try {
      expect((await sweep()).events).toBe(12_001);
      expect(queries.mock.calls.filter(([sql]) => sql.startsWith('DELETE FROM litestripe_event'))).toHaveLength(3);
    } finally {
      queries.mockRestore();
    }
    expect(await loggedIds(t)).toEqual([kept.id]);
  });
});

describe('retention: a configured eventLogRetentionDays', () => {
  const DAYS = 5;
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ options: { eventLogRetentionDays: DAYS, outbox: { pollIntervalMs: 0 } } });
  });
  afterAll(() => t.close());

  it('keeps events that many days, then purges them', async () => {
    const event = processedEvent(t.clock.seconds());
    await t.deliver(event);
    t.clock.advance(DAYS * DAY);
    expect((await t.app.get(RetentionJob).sweep()).events).toBe(0);
    t.clock.advance(1);
    expect((await t.app.get(RetentionJob).sweep()).events).toBe(1);
    expect(await loggedIds(t)).toEqual([]);
  });
});
