import { InvoiceListCache } from './invoice-list.cache.js';

describe('InvoiceListCache', () => {
  let now = 1_000_000;
  const clock = { now: () => new Date(now) };
  let loads = 0;
  const load = (value: string) => () => (loads++, Promise.resolve(value));

  beforeEach(() => {
    now = 1_000_000;
    loads = 0;
  });

  it('keeps a load for the TTL of the clock, and a clock set back does not keep it alive', async () => {
    const cache = new InvoiceListCache<string>(clock, 30_000);
    expect(await cache.get('a', load('first'))).toBe('first');
    now += 29_999;
    expect(await cache.get('a', load('second'))).toBe('first');
    now += 1;
    expect(await cache.get('a', load('third'))).toBe('third');
    now -= 60_000;
    expect(await cache.get('a', load('fourth'))).toBe('fourth');
    expect(loads).toBe(3);
  });

  it('shares a load under way, forgets a failed one, and holds at most maxEntries', async () => {
    const cache = new InvoiceListCache<string>(clock, 30_000, 2);
    const [x, y] = [cache.get('a', load('shared')), cache.get('a', load('other'))];
    expect([await x, await y]).toEqual(['shared', 'shared']);
    await expect(cache.get('b', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('b', load('recovered'))).toBe('recovered');
    await cache.get('c', load('c'));
    expect(await cache.get('a', load('evicted'))).toBe('evicted');
    expect(await cache.get('c', load('kept'))).toBe('c');
  });
});
