import type { LitestripeClock } from '../common/litestripe-clock.interface.js';

/** How long `listInvoices` serves a page from memory before asking Stripe again (module clock time). */
export const INVOICE_LIST_CACHE_TTL_MS = 30_000;

/** How many pages the cache holds at most; past it the oldest goes first. */
export const INVOICE_LIST_CACHE_MAX_ENTRIES = 1_000;

/**
 * A brief in-process memory of loads by key, so a reloaded billing page does not call Stripe again.
 * Concurrent loads of one key share one call; a failed load is not kept. Ages are read from the
 * module's clock, and an entry from the clock's future (the clock was set back) counts as expired.
 */
export class InvoiceListCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly clock: LitestripeClock,
    private readonly ttlMs = INVOICE_LIST_CACHE_TTL_MS,
    private readonly maxEntries = INVOICE_LIST_CACHE_MAX_ENTRIES,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.clock.now().getTime();
    const entry = this.entries.get(key);
    if (entry && now >= entry.at && now - entry.at < this.ttlMs) return entry.value;
    this.entries.delete(key);
    const value = load();
    this.entries.set(key, { at: now, value });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }
}
