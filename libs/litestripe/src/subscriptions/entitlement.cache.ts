import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { StripeSubscription } from '../entities/stripe-subscription.entity';
import { InjectEventEmitter } from '../events/event-emitter.provider';
import { LitestripeEvents } from '../events/litestripe-events';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from './entitlement-options';
import { SubscriptionRowsReader } from './subscription-rows.reader';
import { monotonicMs } from '../common/clock';

interface Entry {
  rows: StripeSubscription[];
  expiresAt: number;
}

/** Domain events after which an account's rows may have changed. */
const INVALIDATING_EVENTS = [
  ...Object.values(LitestripeEvents).filter((name) => name.startsWith('litestripe.subscription.')),
  LitestripeEvents.CheckoutCompleted,
  LitestripeEvents.OrphanClaimed,
];

/**
 * Optional in-process cache of each account's subscription rows (`entitlementCache` option). It
 * caches rows, not decisions, so time-based changes (trial, period and grace ends) still apply on
 * the dot. Every domain event this process dispatches drops the rows of the account it names, and
 * of any account whose cached rows hold that subscription (a relinked subscription). A load that an
 * invalidation overtakes is not stored. Writes seen only by other instances reach this one after
 * the TTL. Concurrent misses for one account share one query.
 */
@Injectable()
export class EntitlementCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, { rows: Promise<StripeSubscription[]>; invalidated: boolean }>();
  private readonly listener = (payload: unknown) => this.onDomainEvent(payload);

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly reader: SubscriptionRowsReader,
    @InjectEventEmitter() private readonly emitter: EventEmitter2,
  ) {}

  get enabled(): boolean {
    return this.options.cache !== null;
  }

  onModuleInit(): void {
    if (this.enabled) for (const name of INVALIDATING_EVENTS) this.emitter.on(name, this.listener);
  }

  onModuleDestroy(): void {
    for (const name of INVALIDATING_EVENTS) this.emitter.off(name, this.listener);
    this.entries.clear();
  }

  /** The account's cached rows when fresh, synchronously (the guard's fast path); else undefined. */
  peek(accountRef: string): StripeSubscription[] | undefined {
    const entry = this.entries.get(accountRef);
    if (!entry || entry.expiresAt <= monotonicMs()) return undefined;
    this.entries.delete(accountRef); // keep the map in least-recently-used order
    this.entries.set(accountRef, entry);
    return entry.rows;
  }

  /** The account's rows in the module's mode, from the cache when fresh. */
  rowsOf(accountRef: string): Promise<StripeSubscription[]> {
    const config = this.options.cache;
    if (!config) return this.reader.ofAccount(accountRef);
    const cached = this.peek(accountRef);
    if (cached) return Promise.resolve(cached);
    const pending = this.loading.get(accountRef);
    if (pending) return pending.rows;
    const load = { rows: this.reader.ofAccount(accountRef), invalidated: false };
    this.loading.set(accountRef, load);
    load.rows
      .then((rows) => {
        if (!load.invalidated) this.store(accountRef, rows, config.ttlMs, config.maxEntries);
      })
      .catch(() => undefined)
      .finally(() => this.loading.delete(accountRef));
    return load.rows;
  }

  /** Forgets an account's rows (and any account holding the subscription `subscriptionId`). */
  invalidate(accountRef: string | null | undefined, subscriptionId?: string | null): void {
    const drop = (ref: string) => {
      this.entries.delete(ref);
      const load = this.loading.get(ref);
      if (load) load.invalidated = true;
    };
    if (accountRef) drop(accountRef);
    if (subscriptionId) {
      for (const [ref, entry] of this.entries) if (entry.rows.some((row) => row.id === subscriptionId)) drop(ref);
    }
  }

  clear(): void {
    this.entries.clear();
    for (const load of this.loading.values()) load.invalidated = true;
  }

  private store(accountRef: string, rows: StripeSubscription[], ttlMs: number, maxEntries: number): void {
    this.entries.set(accountRef, { rows, expiresAt: monotonicMs() + ttlMs });
    while (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  private onDomainEvent(payload: unknown): void {
    const event = payload as { subscription?: { id?: string; accountRef?: string | null }; accountRef?: string; subscriptionId?: string | null } | null;
    this.invalidate(event?.subscription?.accountRef ?? event?.accountRef, event?.subscription?.id ?? event?.subscriptionId);
  }
}
