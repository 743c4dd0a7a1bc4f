import { In } from 'typeorm';
import { SubscriptionScenario, T0 } from '../../../../../test/support/scenario';
import { createTestApp, TestApp } from '../../../../../test/support/test-app';
import { DomainEventOutboxEntry } from '../../entities/domain-event-outbox.entity.js';
import { LitestripeEvents } from '../litestripe-events.js';
import { DeliveredMarksBuffer } from './delivered-marks.buffer.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxService } from './outbox.service.js';

/**
 * The delivered marks, white-box on PostgreSQL: a mark being written keeps its entry out of the
 * next lease, and marks taken while one is written go out together. (Moved from
 * test/outbox.e2e-spec.ts: a host cannot reach the buffer or the repository.)
 */
describe('DeliveredMarksBuffer on PostgreSQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ options: { outbox: { pollIntervalMs: 0, retryBackoffMs: 1, maxAttempts: 3, leaseMs: 60_000 } } });
  });
  afterAll(() => t.close());

  const activation = (account: string) => new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: account } }, T0);

  it('never leases an entry again while its delivered mark is being written, and writes the marks taken meanwhile in one go', async () => {
    const events = ['acct_mark_a', 'acct_mark_b', 'acct_mark_c'].map(activation);
    for (const event of events) await t.deliver(event);
    await t.app.get(OutboxService).dispatchDue();
    const [a, b, c] = events.map((e) => `${e.id}:${LitestripeEvents.SubscriptionCreated}`);
    // Dispatched, lease run out, mark not written yet: what a slow mark looks like to a poll.
    await t.dataSource.query(`UPDATE litestripe_outbox SET delivered_at = NULL, available_at = now() - interval '1 second' WHERE id = ANY($1)`, [[a, b, c]]);

    const marks = t.app.get(DeliveredMarksBuffer);
    const writes = jest.spyOn(t.app.get(OutboxRepository), 'markDelivered'); // records, calls through
    const blocker = t.dataSource.createQueryRunner();
    let written: unknown[][] = [];
    await blocker.startTransaction();
    try {
      await blocker.query('SELECT id FROM litestripe_outbox WHERE id = $1 FOR UPDATE', [a]); // holds the mark's UPDATE
      marks.add([a]);
      const first = marks.flush();
      marks.add([b]);
      const second = marks.flush();
      marks.add([c]);
      const third = marks.flush();
      expect([...marks.unflushed].sort()).toEqual([a, b, c].sort());
      const leased = await t.app.get(OutboxRepository).leaseDue(10, 60_000, marks.unflushed);
      expect(leased.map((entry) => entry.id)).toEqual([]);
      await blocker.commitTransaction();
      await Promise.all([first, second, third]);
      written = writes.mock.calls;
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
      writes.mockRestore();
    }
    expect(marks.unflushed).toEqual([]);
    expect(written).toEqual([[[a]], [[b, c]]]); // b and c, taken while a's UPDATE waited, in one
    const rows = await t.dataSource.getRepository(DomainEventOutboxEntry).findBy({ id: In([a, b, c]) });
    expect(rows.every((row) => row.deliveredAt !== null)).toBe(true);
  });
});
