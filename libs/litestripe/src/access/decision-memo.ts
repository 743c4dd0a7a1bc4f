import type { AccessPolicy } from '../config/entitlement-options.js';
import type { PlanCatalog } from '../config/plan-catalog.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { AccountSubscription, accountSubscriptions, Entitlement, summarizeEntitlement } from './account-entitlement.js';
import { nextDecisionChange } from './entitlement-rules.js';
import { UnlistedPriceLog } from './unlisted-price.log.js';

/** An account's rows decided at some time, valid until the first instant a decision may change. */
export interface Decision {
  accountRef: string;
  decided: AccountSubscription[];
  entitlement: Entitlement;
  /** Some row is stale (a renewal webhook was missed): a refresh may change the answer. */
  stale: boolean;
  from: number;
  until: number;
}

/**
 * Decides an account's rows, and remembers the decision for the same rows (the cache hands out the
 * same array until the rows change) while the time stays before `nextDecisionChange` of every row:
 * the rules would answer the same, field for field, so a cached lookup costs a map read. Callers
 * share the memo's objects: the entitlement is frozen, the rows must be treated as read-only.
 */
export class DecisionMemo {
  private readonly memos = new WeakMap<readonly StripeSubscription[], Decision>();
  private readonly unlistedPrices = new UnlistedPriceLog();

  /** `remember` false (no entitlement cache: every lookup brings new rows) decides without keeping anything. */
  constructor(
    private readonly policy: AccessPolicy,
    private readonly catalog: PlanCatalog,
    private readonly remember: boolean,
  ) {}

  decide(accountRef: string, rows: readonly StripeSubscription[], now: Date): Decision {
    const at = now.getTime();
    const memo = this.memos.get(rows);
    if (memo && memo.accountRef === accountRef && memo.from <= at && at < memo.until) return memo;
    const decided = accountSubscriptions(rows, now, this.policy, this.catalog);
    this.unlistedPrices.note(decided);
    const entitlement = frozen(summarizeEntitlement(accountRef, decided, now, this.catalog));
    const stale = decided.some((s) => s.access.reason === 'stale');
    if (!this.remember) return { accountRef, decided, entitlement, stale, from: at, until: at };
    let until = Infinity;
    for (const row of rows) until = Math.min(until, nextDecisionChange(row, now, this.policy));
    const decision: Decision = { accountRef, decided, entitlement, stale, from: at, until };
    this.memos.set(rows, decision);
    return decision;
  }
}

/** One entitlement object answers many lookups: frozen, so a caller's edit cannot change the next caller's answer. */
function frozen(entitlement: Entitlement): Entitlement {
  Object.freeze(entitlement.plans);
  Object.freeze(entitlement.features);
  Object.freeze(entitlement.limits);
  return Object.freeze(entitlement);
}
