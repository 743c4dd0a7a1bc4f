import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { accountSubjectKey } from '../common/account-reference.js';
import { queryRows } from '../common/query-rows.js';
import { sameValue } from '../common/same-value.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { OneTimePurchase } from '../entities/one-time-purchase.entity.js';
import {
  domainEventId,
  PendingDomainEvent,
  PurchaseEvent,
  PurchaseGrant,
  PurchaseRevocationReason,
  PurchaseRevokedEvent,
  StripeEventRef,
} from '../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../events/litestripe-events.js';
import { DomainEventPublisher } from '../events/domain-event.publisher.js';
import { CommittedChangesAnnouncer } from './committed-changes.announcer.js';
import { creditChanges, EffectiveGrant, effectiveGrant } from './purchase-grants.js';

/** The facts of a purchase an event may change. */
export type PurchasePatch = Partial<
  Pick<
    OneTimePurchase,
    'checkoutSessionId' | 'customerId' | 'accountRef' | 'paymentStatus' | 'lifetimePlans' | 'credits' | 'priceIds' | 'amount' | 'currency' | 'amountRefunded' | 'disputeLost' | 'stripeCreated'
  >
>;

/** A purchase before and after one change, and what it granted then and now. */
export interface PurchaseChange {
  previous: OneTimePurchase;
  current: OneTimePurchase;
  before: EffectiveGrant;
  after: EffectiveGrant;
}

const INCREASE = `INSERT INTO litestripe_credit_balance AS b (subject, metric, balance) VALUES ($1, $2, $3)
  ON CONFLICT (subject, metric) DO UPDATE SET balance = b.balance + EXCLUDED.balance, updated_at = now()`;
// Credits already spent stay spent: taking back never goes below zero.
const DECREASE = `UPDATE litestripe_credit_balance SET balance = GREATEST(balance - $3, 0), updated_at = now() WHERE subject = $1 AND metric = $2`;

/**
 * The one writer of one-time purchases (webhooks, the success page, claims): locks the purchase's
 * row (creating it when an event arrives first), applies a change of its facts, and moves the
 * account's credit balance by the difference between what the purchase granted before and after.
 * Since the grant is computed from the facts alone, events in any order end in the same state.
 */
@Injectable()
export class PurchaseWriter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly announcer: CommittedChangesAnnouncer,
    private readonly publisher: DomainEventPublisher,
  ) {}

  /**
   * `apply` in a transaction of its own, for a change the API made (the success page, a claim): records
   * the domain events `eventsOf` derives (by default `purchaseEvents`), publishes them after commit.
   */
  async applyAlone(
    ref: StripeEventRef,
    paymentRef: string,
    livemode: boolean,
    change: (row: OneTimePurchase) => PurchasePatch | null,
    eventsOf: (change: PurchaseChange, ref: StripeEventRef) => PendingDomainEvent[] = purchaseEvents,
  ): Promise<PurchaseChange | null> {
    const { applied, events } = await this.dataSource.transaction(async (manager) => {
      const applied = await this.apply(manager, paymentRef, livemode, change);
      const events = applied ? eventsOf(applied, ref) : [];
      await this.publisher.record(manager, events, ref.id);
      return { applied, events };
    });
    await this.publisher.publish(events, ref.id);
    return applied;
  }

  /** `change` returns the facts to change (null: nothing). Null when nothing changed. */
  async apply(manager: EntityManager, paymentRef: string, livemode: boolean, change: (row: OneTimePurchase) => PurchasePatch | null): Promise<PurchaseChange | null> {
    const repository = manager.getRepository(OneTimePurchase);
    const locked = () => repository.findOne({ where: { paymentRef }, lock: { mode: 'pessimistic_write' } });
    let previous = await locked();
    if (!previous) {
      // No row for a change that would not make one (a payment for something not sold here).
      if (!change(blankPurchase(paymentRef, livemode))) return null;
      await queryRows(manager, 'INSERT INTO litestripe_purchase ("payment_ref", "livemode") VALUES ($1, $2) ON CONFLICT DO NOTHING', [paymentRef, livemode]);
      previous = (await locked())!;
    }
    const patch = change(previous);
    const changed = patch && (Object.keys(patch) as (keyof PurchasePatch)[]).filter((key) => !sameValue(previous[key], patch[key]));
    if (!patch || !changed || changed.length === 0) return null;
    const { revokeLifetimeOnPartialRefund } = this.options.catalog;
    const next = Object.assign(new OneTimePurchase(), previous, patch);
    const before = effectiveGrant(previous, revokeLifetimeOnPartialRefund);
    const after = effectiveGrant(next, revokeLifetimeOnPartialRefund);
    next.creditsRevoked = after.creditsRevoked;
    next.lifetimeRevoked = after.lifetimeRevoked;
    await repository.update({ paymentRef }, { ...patch, creditsRevoked: next.creditsRevoked, lifetimeRevoked: next.lifetimeRevoked });
    for (const { accountRef, metric, delta } of creditChanges(before, after)) {
      await queryRows(manager, delta > 0 ? INCREASE : DECREASE, [accountSubjectKey(accountRef), metric, Math.abs(delta)]);
    }
    if (!sameValue(before.lifetimePlans, after.lifetimePlans) || before.accountRef !== after.accountRef) this.announcer.changed(manager, [before.accountRef, after.accountRef]);
    const current = await repository.findOneByOrFail({ paymentRef });
    return { previous, current, before, after };
  }
}

function blankPurchase(paymentRef: string, livemode: boolean): OneTimePurchase {
  return Object.assign(new OneTimePurchase(), {
    paymentRef,
    livemode,
    checkoutSessionId: null,
    customerId: null,
    accountRef: null,
    paymentStatus: null,
    lifetimePlans: [],
    credits: {},
    priceIds: [],
    amount: null,
    currency: null,
    amountRefunded: 0,
    disputeLost: false,
    creditsRevoked: {},
    lifetimeRevoked: false,
    stripeCreated: null,
  });
}

/** The domain events of a purchase's change: paid, failed, and what a refund or dispute took back. */
export function purchaseEvents(change: PurchaseChange, stripeEvent: StripeEventRef): PendingDomainEvent[] {
  const { previous, current, before, after } = change;
  const events: PendingDomainEvent[] = [];
  const grant: PurchaseGrant = { lifetimePlans: [...current.lifetimePlans], credits: { ...current.credits } };
  for (const [status, name] of [
    ['paid', LitestripeEvents.PurchaseCompleted],
    ['failed', LitestripeEvents.PurchaseFailed],
  ] as const) {
    if (previous.paymentStatus === status || current.paymentStatus !== status) continue;
    const payload = new PurchaseEvent(name, domainEventId(stripeEvent, name), current.paymentRef, current.checkoutSessionId, current.accountRef, grant, current.amount, current.currency, stripeEvent);
    events.push({ name, payload });
  }
  if (current.paymentStatus !== 'paid') return events;
  // Only what a granted purchase loses is a revocation: before it was paid, nothing had been granted.
  const wasGranted = previous.paymentStatus === 'paid';
  const revokedCredits: Record<string, number> = {};
  for (const [metric, count] of Object.entries(after.creditsRevoked)) {
    const already = wasGranted ? (before.creditsRevoked[metric] ?? 0) : 0;
    if (count > already) revokedCredits[metric] = count - already;
  }
  const lifetimeLost = after.lifetimeRevoked && !(wasGranted && before.lifetimeRevoked) ? [...current.lifetimePlans] : [];
  if (Object.keys(revokedCredits).length === 0 && lifetimeLost.length === 0) return events;
  const name = LitestripeEvents.PurchaseRevoked;
  const payload = new PurchaseRevokedEvent(
    domainEventId(stripeEvent, name),
    current.paymentRef,
    current.accountRef,
    revocationReason(current),
    { lifetimePlans: lifetimeLost, credits: revokedCredits },
    current.amountRefunded,
    current.currency,
    stripeEvent,
  );
  events.push({ name, payload });
  return events;
}

function revocationReason(purchase: OneTimePurchase): PurchaseRevocationReason {
  if (purchase.disputeLost) return 'dispute_lost';
  return purchase.amount !== null && purchase.amountRefunded >= purchase.amount ? 'refund' : 'partial_refund';
}
