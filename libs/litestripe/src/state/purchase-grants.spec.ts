import { OneTimePurchase } from '../entities/one-time-purchase.entity.js';
import { creditChanges, effectiveGrant } from './purchase-grants.js';

function purchase(fields: Partial<OneTimePurchase>): OneTimePurchase {
  return Object.assign(new OneTimePurchase(), {
    accountRef: 'acct_1',
    paymentStatus: 'paid',
    lifetimePlans: [],
    credits: {},
    amount: 3_000,
    amountRefunded: 0,
    disputeLost: false,
    ...fields,
  });
}

describe('effectiveGrant', () => {
  it('grants a paid purchase to its account, and nothing while pending, failed or unlinked', () => {
    const bought = { lifetimePlans: ['pro'], credits: { exports: 300 } };
    expect(effectiveGrant(purchase(bought), false)).toMatchObject({ accountRef: 'acct_1', lifetimePlans: ['pro'], credits: { exports: 300 } });
    for (const fields of [{ paymentStatus: 'pending' as const }, { paymentStatus: 'failed' as const }, { paymentStatus: null }, { accountRef: null }]) {
      expect(effectiveGrant(purchase({ ...bought, ...fields }), false)).toMatchObject({ lifetimePlans: [], credits: {} });
    }
  });

  it('takes credits back in proportion to a partial refund, rounded down, and keeps a lifetime plan unless told', () => {
    const refunded = purchase({ lifetimePlans: ['pro'], credits: { exports: 100, calls: 7 }, amountRefunded: 1_000 });
    expect(effectiveGrant(refunded, false)).toMatchObject({ lifetimePlans: ['pro'], credits: { exports: 67, calls: 5 }, creditsRevoked: { exports: 33, calls: 2 }, lifetimeRevoked: false });
    expect(effectiveGrant(refunded, true)).toMatchObject({ lifetimePlans: [], lifetimeRevoked: true });
  });

  it('takes everything back after a full refund or a lost dispute', () => {
    for (const fields of [{ amountRefunded: 3_000 }, { amountRefunded: 9_999 }, { disputeLost: true }]) {
      expect(effectiveGrant(purchase({ lifetimePlans: ['pro'], credits: { exports: 100 }, ...fields }), false)).toMatchObject({ lifetimePlans: [], credits: { exports: 0 }, lifetimeRevoked: true });
    }
  });

  it('treats a free purchase (amount 0) as never refunded', () => {
    expect(effectiveGrant(purchase({ credits: { exports: 10 }, amount: 0 }), false).credits).toEqual({ exports: 10 });
  });
});

describe('creditChanges', () => {
  it('moves the balance by the difference, per account and metric, and a claim moves it to the new account', () => {
    const before = effectiveGrant(purchase({ credits: { exports: 100 } }), false);
    const after = effectiveGrant(purchase({ credits: { exports: 100 }, amountRefunded: 1_500 }), false);
    expect(creditChanges(before, after)).toEqual([{ accountRef: 'acct_1', metric: 'exports', delta: -50 }]);
    const unlinked = effectiveGrant(purchase({ credits: { exports: 100 }, accountRef: null }), false);
    expect(creditChanges(unlinked, before)).toEqual([{ accountRef: 'acct_1', metric: 'exports', delta: 100 }]);
    expect(creditChanges(before, before)).toEqual([]);
  });

  it.each([false, true])('ends in the same balance in every order of a purchase and its refunds (a lost dispute among them: %p)', (disputeLost) => {
    const facts: Partial<OneTimePurchase>[] = [{ paymentStatus: 'paid', credits: { exports: 90 } }, { amountRefunded: 700 }, { amountRefunded: 1_900 }, { disputeLost }];
    const balances = new Set<number>();
    for (const order of permutations(facts)) {
      let row = purchase({ paymentStatus: null, credits: {}, amountRefunded: 0 });
      let balance = 0;
      for (const patch of order) {
        const next = purchase({ ...row, ...patch, amountRefunded: Math.max(row.amountRefunded, patch.amountRefunded ?? 0) });
        for (const { delta } of creditChanges(effectiveGrant(row, false), effectiveGrant(next, false))) balance += delta;
        row = next;
      }
      balances.add(balance);
    }
    expect([...balances]).toEqual([disputeLost ? 0 : 90 - Math.floor((90 * 1_900) / 3_000)]);
  });
});

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}
