import type { AccessPolicy } from '../config/entitlement-options.js';
import type { PlanCatalog } from '../config/plan-catalog.js';
import type { AccountRecords } from './account-records.js';
import { AccountSubscription, accountSubscriptions, Entitlement, summarizeEntitlement } from './account-entitlement.js';
import { nextDecisionChange } from './entitlement-rules.js';
import { UnlistedPriceLog } from './unlisted-price.log.js';

/** An account's records decided at some time, valid until the first instant a decision may change. */
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
 * Decides an account's records, and remembers the decision for the same records (the cache hands out
 * the same object until they change) while the time stays before `nextDecisionChange` of every row:
 * the rules would answer the same, field for field, so a cached lookup costs a map read. Callers
 * share the memo's objects: the entitlement is frozen, the rows must be treated as read-only.
 */
export class DecisionMemo {
  private readonly memos = new WeakMap<AccountRecords, Decision>();
  private readonly unlistedPrices = new UnlistedPriceLog();

  /** `remember` false (no entitlement cache: every lookup brings new rows) decides without keeping anything. */
  constructor(
    private readonly policy: AccessPolicy,
    private readonly catalog: PlanCatalog,
    private readonly remember: boolean,
  ) {}

  decide(accountRef: string, records: AccountRecords, now: Date): Decision {
    const at = now.getTime();
    const memo = this.memos.get(records);
    if (memo && memo.accountRef === accountRef && memo.from <= at && at < memo.until) return memo;
    const rows = records.subscriptions;
    const decided = accountSubscriptions(rows, now, this.policy, this.catalog);
    this.unlistedPrices.note(decided);
    const entitlement = frozen(summarizeEntitlement(accountRef, decided, now, this.catalog, records));
    const stale = decided.some((s) => s.access.reason === 'stale');
    if (!this.remember) return { accountRef, decided, entitlement, stale, from: at, until: at };
    let until = Infinity;
    for (const row of rows) until = Math.min(until, nextDecisionChange(row, now, this.policy));
    const decision: Decision = { accountRef, decided, entitlement, stale, from: at, until };
    this.memos.set(records, decision);
    return decision;
  }
}

/** One entitlement object answers many lookups: frozen, so a caller's edit cannot change the next caller's answer. */
function frozen(entitlement: Entitlement): Entitlement {
  Object.freeze(entitlement.plans);
  Object.freeze(entitlement.lifetimePlans);
  Object.freeze(entitlement.features);
  Object.freeze(entitlement.stripeFeatures);
  Object.freeze(entitlement.limits);
  return Object.freeze(entitlement);
}
