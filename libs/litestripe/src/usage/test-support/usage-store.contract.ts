import { randomUUID } from 'node:crypto';
import type { UsageCounterKey, UsageStore } from '../usage-store.js';

/** The table of cases every usage store runs (postgres-usage.store.spec.ts, redis-usage.store.spec.ts): both stores must count alike. */

/** What a case needs: the store, and the counter as stored (null: no counter at all). */
export interface StoreHarness {
  store: UsageStore;
  stored(key: UsageCounterKey): Promise<number | null>;
}

export const HOUR = 3_600_000;
/** A period around the current time (the store takes periods as given; the clock only matters to Redis' expiry). */
export const PERIOD = { start: new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR), end: new Date(Math.floor(Date.now() / HOUR) * HOUR + 30 * 24 * HOUR) };
export const NEXT_PERIOD = { start: PERIOD.end, end: new Date(PERIOD.end.getTime() + 30 * 24 * HOUR) };

export function counter(overrides: Partial<UsageCounterKey> = {}): UsageCounterKey {
  return { subject: `account:acct_${randomUUID()}`, metric: 'api_calls', period: PERIOD, ...overrides };
}

export function storeContract(harness: () => StoreHarness): void {
  let h: StoreHarness;
  beforeEach(() => (h = harness()));

  it('grants within the limit and adds the cost', async () => {
    const key = counter();
    expect(await h.store.consume(key, 3, 10)).toEqual({ granted: true, used: 3 });
    expect(await h.store.consume(key, 4, 10)).toEqual({ granted: true, used: 7 });
    expect(await h.store.used(key)).toBe(7);
    expect(await h.stored(key)).toBe(7);
  });

  it('grants up to exactly the limit, then refuses adding nothing', async () => {
    const key = counter();
    expect(await h.store.consume(key, 7, 10)).toEqual({ granted: true, used: 7 });
    expect(await h.store.consume(key, 3, 10)).toEqual({ granted: true, used: 10 });
    expect(await h.store.consume(key, 1, 10)).toEqual({ granted: false, used: 10 });
    expect(await h.stored(key)).toBe(10);
  });

  it('refuses a cost that would pass the limit without adding any of it, and grants one that fits', async () => {
    const key = counter();
    await h.store.consume(key, 8, 10);
    expect(await h.store.consume(key, 3, 10)).toEqual({ granted: false, used: 8 });
    expect(await h.stored(key)).toBe(8);
    expect(await h.store.consume(key, 2, 10)).toEqual({ granted: true, used: 10 });
  });

  it('always grants when unlimited (Infinity)', async () => {
    const key = counter();
    expect(await h.store.consume(key, 1_000_000, Infinity)).toEqual({ granted: true, used: 1_000_000 });
    expect(await h.store.consume(key, 1_000_000, Infinity)).toEqual({ granted: true, used: 2_000_000 });
    expect(await h.stored(key)).toBe(2_000_000);
  });

  it('refuses a cost larger than the limit on a fresh counter and creates no counter', async () => {
    const key = counter();
    expect(await h.store.consume(key, 11, 10)).toEqual({ granted: false, used: 0 });
    expect(await h.store.consume(key, 1, 0)).toEqual({ granted: false, used: 0 });
    expect(await h.stored(key)).toBeNull();
    expect(await h.store.used(key)).toBe(0);
  });

  it('rounds a fractional limit down to whole units', async () => {
    const key = counter();
    expect(await h.store.consume(key, 3, 2.5)).toEqual({ granted: false, used: 0 });
    expect(await h.store.consume(key, 2, 2.5)).toEqual({ granted: true, used: 2 });
    expect(await h.store.consume(key, 1, 2.5)).toEqual({ granted: false, used: 2 });
  });

  it('adds without an idempotency key every time, whatever the limit', async () => {
    const key = counter();
    await h.store.consume(key, 10, 10);
    expect(await h.store.add(key, 5, null)).toEqual({ used: 15, duplicate: false });
    expect(await h.store.add(key, 5, null)).toEqual({ used: 20, duplicate: false });
    expect(await h.stored(key)).toBe(20);
    // Over the limit now: consume refuses, and says how far over.
    expect(await h.store.consume(key, 1, 10)).toEqual({ granted: false, used: 20 });
  });

  it('adds once per idempotency key: a duplicate adds nothing and says so', async () => {
    const key = counter();
    expect(await h.store.add(key, 5, 'job-1')).toEqual({ used: 5, duplicate: false });
    expect(await h.store.add(key, 5, 'job-1')).toEqual({ used: 5, duplicate: true });
    expect(await h.store.add(key, 2, 'job-2')).toEqual({ used: 7, duplicate: false });
    expect(await h.store.add(key, 9, 'job-1')).toEqual({ used: 7, duplicate: true });
    expect(await h.stored(key)).toBe(7);
  });

  it('keeps idempotency keys per subject and metric, and a key stays a duplicate in the next period', async () => {
    const key = counter();
    await h.store.add(key, 1, 'job-1');
    expect(await h.store.add({ ...key, metric: 'exports' }, 1, 'job-1')).toEqual({ used: 1, duplicate: false });
    expect(await h.store.add({ ...key, subject: `${key.subject}_other` }, 1, 'job-1')).toEqual({ used: 1, duplicate: false });
    expect(await h.store.add({ ...key, period: NEXT_PERIOD }, 1, 'job-1')).toEqual({ used: 0, duplicate: true });
    expect(await h.stored({ ...key, period: NEXT_PERIOD })).toBeNull();
    expect(await h.stored(key)).toBe(1);
  });

  it('adds once when the same key is added concurrently', async () => {
    const key = counter();
    const answers = await Promise.all(Array.from({ length: 25 }, () => h.store.add(key, 3, 'retried-job')));
    expect(answers.filter((a) => !a.duplicate)).toEqual([{ used: 3, duplicate: false }]);
    expect(answers.filter((a) => a.duplicate)).toHaveLength(24);
    expect(await h.stored(key)).toBe(3);
  });

  it('never grants more than the limit to concurrent consumers', async () => {
    const key = counter();
    const answers = await Promise.all(Array.from({ length: 60 }, () => h.store.consume(key, 1, 25)));
    expect(answers.filter((a) => a.granted)).toHaveLength(25);
    expect(answers.filter((a) => a.granted).map((a) => a.used).sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(answers.filter((a) => !a.granted).every((a) => a.used === 25)).toBe(true);
    expect(await h.stored(key)).toBe(25);
  });

  it('releases units, never below zero', async () => {
    const key = counter();
    await h.store.consume(key, 5, 10);
    await h.store.release(key, 2);
    expect(await h.stored(key)).toBe(3);
    await h.store.release(key, 10);
    expect(await h.stored(key)).toBe(0);
    expect(await h.store.used(key)).toBe(0);
    expect(await h.store.consume(key, 10, 10)).toEqual({ granted: true, used: 10 });
  });

  it('makes room with a release: the units can be consumed again', async () => {
    const key = counter();
    await h.store.consume(key, 10, 10);
    expect((await h.store.consume(key, 1, 10)).granted).toBe(false);
    await h.store.release(key, 1);
    expect(await h.store.consume(key, 1, 10)).toEqual({ granted: true, used: 10 });
  });

  it('does nothing when releasing a counter that does not exist (creates none)', async () => {
    const key = counter();
    await h.store.release(key, 3);
    expect(await h.stored(key)).toBeNull();
    expect(await h.store.consume(key, 10, 10)).toEqual({ granted: true, used: 10 });
  });

  it('keeps separate counters per period, metric and subject', async () => {
    const key = counter();
    await h.store.consume(key, 10, 10);
    expect((await h.store.consume(key, 1, 10)).granted).toBe(false);
    const others = [{ ...key, period: NEXT_PERIOD }, { ...key, metric: 'exports' }, { ...key, subject: `${key.subject}_other` }];
    for (const other of others) {
      expect(await h.store.used(other)).toBe(0);
      expect(await h.store.consume(other, 4, 10)).toEqual({ granted: true, used: 4 });
    }
    await h.store.release(others[0], 4);
    expect(await h.stored(key)).toBe(10);
    expect(await Promise.all(others.map((other) => h.stored(other)))).toEqual([0, 4, 4]);
  });
}
