import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { monotonicMs } from '../common/clock.js';
import { SubscriptionRowChange, SubscriptionRowChanges } from '../common/subscription-row-changes.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import type { AccountRecords } from './account-records.js';
import { SubscriptionRowsReader } from './subscription-rows.reader.js';

interface Entry {
  rows: AccountRecords;
  expiresAt: number;
  usedAt: number;
}

interface Load {
  rows: Promise<AccountRecords>;
  /** The cache's generation when the query was sent. */
  generation: number;
  /** A change of the account was announced while the query ran: its rows may predate it. */
  overtaken: boolean;
}

/**
 * The cache of each account's records (subscription rows, lifetime plans, Stripe features; the
 * `entitlementCache` option, on by default). It
 * caches rows, not decisions, so time-based changes (trial, period and grace ends) still apply on
 * the dot. Every committed change of an account's rows drops them, on every instance: this
 * instance's own commits at once, the others' when PostgreSQL's notification arrives
 * (`SubscriptionChangesListener`). While those notifications may be missed (the listen connection is
 * down, or has not answered its heartbeat), the cache holds nothing and every lookup reads the
 * database. A load that a change overtakes, or that began before the cache was last emptied, is
 * not stored. Concurrent lookups of one account share one query, cache or not.
 */
@Injectable()
export class EntitlementCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Load>();
  private generation = 0;
  /** Until when (monotonic ms) every change is known to be announced here; 0 until the listener says so. */
  private trustedUntil = 0;
  private stopListening?: () => void;

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly reader: SubscriptionRowsReader,
    private readonly changes: SubscriptionRowChanges,
  ) {}

  get enabled(): boolean {
    return this.options.cache !== null;
  }

  onModuleInit(): void {
    this.stopListening = this.changes.subscribe((change) => this.onChange(change));
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    this.dropAll();
  }

  /** Changes are announced here until `until` (monotonic ms; Infinity when this process makes every change). */
  trustUntil(until: number): void {
    this.trustedUntil = until;
  }

  /** (Re)starts trusting from an empty cache: nothing loaded before may be kept. */
  resume(until: number): void {
    this.dropAll();
    this.trustedUntil = until;
  }

  /** Changes may be missed from now on: forget every account and read the database until `resume`. */
  distrust(): void {
    this.trustedUntil = 0;
    this.dropAll();
  }

  /** The account's cached rows when fresh, synchronously (the guard's fast path); else undefined. */
  peek(accountRef: string): AccountRecords | undefined {
    const entry = this.entries.get(accountRef);
    if (!entry) return undefined;
    const nowMs = monotonicMs();
    if (nowMs >= this.trustedUntil) {
      this.dropAll();
      return undefined;
    }
    if (entry.expiresAt <= nowMs) return undefined;
    // Keep the map in (roughly) least-recently-used order: move an entry to the end at most once a second.
    if (nowMs - entry.usedAt >= 1000) {
      entry.usedAt = nowMs;
      this.entries.delete(accountRef);
      this.entries.set(accountRef, entry);
    }
    return entry.rows;
  }

  /** The account's records in the module's mode, from the cache when fresh. */
  rowsOf(accountRef: string): Promise<AccountRecords> {
    const cached = this.peek(accountRef);
    if (cached) return Promise.resolve(cached);
    const pending = this.loading.get(accountRef);
    if (pending) return pending.rows;
    const load: Load = { rows: this.reader.ofAccount(accountRef), generation: this.generation, overtaken: false };
    this.loading.set(accountRef, load);
    const settled = () => {
      if (this.loading.get(accountRef) === load) this.loading.delete(accountRef);
    };
    load.rows.then((rows) => {
      settled();
      if (this.enabled && !load.overtaken && load.generation === this.generation && this.trusted()) this.store(accountRef, rows);
    }, settled);
    return load.rows;
  }

  /** Forgets every account's rows (trust unchanged). */
  clear(): void {
    this.dropAll();
  }

  /** Forgets an account's rows; a lookup already under way is not stored, and later lookups do not share it. */
  invalidate(accountRef: string): void {
    this.entries.delete(accountRef);
    const load = this.loading.get(accountRef);
    if (!load) return;
    load.overtaken = true;
    this.loading.delete(accountRef);
  }

  private dropAll(): void {
    this.generation++;
    this.entries.clear();
    for (const load of this.loading.values()) load.overtaken = true;
    this.loading.clear();
  }

  private trusted(): boolean {
    return monotonicMs() < this.trustedUntil;
  }

  private onChange(change: SubscriptionRowChange): void {
    if ('everyAccount' in change) this.dropAll();
    else for (const accountRef of change.accountRefs) this.invalidate(accountRef);
  }

  private store(accountRef: string, rows: AccountRecords): void {
    const { ttlMs, maxEntries } = this.options.cache!;
    const nowMs = monotonicMs();
    this.entries.set(accountRef, { rows, expiresAt: nowMs + ttlMs, usedAt: nowMs });
    while (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
