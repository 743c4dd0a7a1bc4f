import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessReason, PauseBehavior, StripeSubscription, SubscriptionStatus } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';

/**
 * The README's decision tables are the specification: each cell is run through SubscriptionService
 * on PostgreSQL, so the documentation cannot drift from what the module decides.
 */

/** The reasons that entitle: the "yes" lines of the README's rules table. */
const ENTITLED_REASONS: readonly AccessReason[] = ['active', 'trialing', 'canceling', 'past_due_grace'];

const MINUTE = 60;
const DAY = 86_400;
const START = Math.floor(Date.now() / 1000);
const at = (offsetSeconds: number) => new Date((START + offsetSeconds) * 1000);

/** The README's decision table after `<!-- decision-table: name -->`, as rows of cells (header first, without backticks). */
function readmeTable(name: string): string[][] {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const marker = `<!-- decision-table: ${name} -->\n`;
  const start = readme.indexOf(marker);
  if (start === -1) throw new Error(`README.md has no ${marker.trim()}`);
  const lines = readme.slice(start + marker.length).split('\n');
  const table = lines.slice(0, lines.findIndex((line) => !line.startsWith('|')));
  return table.filter((_, index) => index !== 1).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim().replace(/`/g, '')));
}

type Facts = Partial<StripeSubscription>;

/** The README's time positions (its column headers). */
const POSITIONS: Record<string, { trialEnd: Date | null; currentPeriodStart: Date; currentPeriodEnd: Date }> = {
  'before trial': { trialEnd: at(8 * DAY), currentPeriodStart: at(DAY), currentPeriodEnd: at(8 * DAY) },
  'in trial': { trialEnd: at(5 * DAY), currentPeriodStart: at(-5 * DAY), currentPeriodEnd: at(5 * DAY) },
  'trial ended < 1 h': { trialEnd: at(-10 * MINUTE), currentPeriodStart: at(-14 * DAY), currentPeriodEnd: at(-10 * MINUTE) },
  'trial ended > 1 h': { trialEnd: at(-2 * DAY), currentPeriodStart: at(-16 * DAY), currentPeriodEnd: at(-2 * DAY) },
  'before period': { trialEnd: null, currentPeriodStart: at(DAY), currentPeriodEnd: at(31 * DAY) },
  'in period': { trialEnd: null, currentPeriodStart: at(-10 * DAY), currentPeriodEnd: at(20 * DAY) },
  'period ended < 1 h': { trialEnd: null, currentPeriodStart: at(-30 * DAY - 10 * MINUTE), currentPeriodEnd: at(-10 * MINUTE) },
  'period ended > 1 h': { trialEnd: null, currentPeriodStart: at(-32 * DAY), currentPeriodEnd: at(-2 * DAY) },
  'in grace': { trialEnd: null, currentPeriodStart: at(-DAY), currentPeriodEnd: at(29 * DAY) },
  'after grace': { trialEnd: null, currentPeriodStart: at(-5 * DAY), currentPeriodEnd: at(25 * DAY) },
};

/** The README's "current period" column of the pause table. */
const PERIODS: Record<string, Facts> = {
  paid: { currentPeriodStart: at(-10 * DAY), currentPeriodEnd: at(20 * DAY), latestPaymentStatus: 'succeeded', latestPaymentAt: at(-10 * DAY + MINUTE) },
  unpaid: { currentPeriodStart: at(-10 * DAY), currentPeriodEnd: at(20 * DAY), latestPaymentStatus: 'succeeded', latestPaymentAt: at(-40 * DAY) },
  'paid, ended': { currentPeriodStart: at(-30 * DAY - 10 * MINUTE), currentPeriodEnd: at(-10 * MINUTE), latestPaymentStatus: 'succeeded', latestPaymentAt: at(-30 * DAY) },
  trial: { trialEnd: at(5 * DAY), currentPeriodStart: at(-5 * DAY), currentPeriodEnd: at(5 * DAY) },
  'unpaid, in grace': { currentPeriodStart: at(-DAY), currentPeriodEnd: at(29 * DAY), latestPaymentStatus: 'failed', latestPaymentAt: at(-DAY + 3600) },
};
const RESUMES_AT: Record<string, Date | null> = { none: null, ahead: at(7 * DAY), passed: at(-MINUTE) };

interface Case {
  name: string;
  facts: Facts;
  /** Expected reason per host: [default, denyPausedCollection]. */
  expected: [AccessReason, AccessReason];
}

function statusCases(): Case[] {
  const [header, ...rows] = readmeTable('status');
  return rows.flatMap(([statusCell, ...cells]) =>
    cells.flatMap((cell, column) => {
      const position = header[column + 1];
      const status = statusCell === 'none yet' ? null : (statusCell as SubscriptionStatus);
      const [plain, canceling = plain] = cell.split(' / ') as AccessReason[];
      return ([false, true] as const).map((cancel): Case => {
        const { trialEnd, currentPeriodStart, currentPeriodEnd } = POSITIONS[position];
        return {
          name: `${statusCell}, ${position}, cancel_at_period_end ${cancel}`,
          facts: {
            status,
            trialEnd,
            currentPeriodStart,
            currentPeriodEnd,
            cancelAtPeriodEnd: cancel,
            cancelAt: cancel ? currentPeriodEnd : null,
            endedAt: status === 'canceled' || status === 'incomplete_expired' ? at(-DAY) : null,
          },
          expected: [cancel ? canceling : plain, cancel ? canceling : plain],
        };
      });
    }),
  );
}

function pauseCases(): Case[] {
  const [, ...rows] = readmeTable('pause');
  return rows.map(([status, behaviour, resumesAt, period, byDefault, denying]) => ({
    name: `${status}, pause ${behaviour}, resumes_at ${resumesAt}, ${period}`,
    facts: {
      status: status as SubscriptionStatus,
      pauseBehavior: behaviour === 'none' ? null : (behaviour as PauseBehavior),
      pauseResumesAt: RESUMES_AT[resumesAt],
      ...PERIODS[period],
    },
    expected: [byDefault as AccessReason, denying as AccessReason],
  }));
}

const CASES = [...statusCases(), ...pauseCases()];

describe('the README decision tables, through SubscriptionService on PostgreSQL', () => {
  let hosts: [BillingHost, BillingHost];
  beforeAll(async () => {
    const options = { pastDueGraceSeconds: 3 * DAY, staleAfterSeconds: 3600, refreshStaleRows: false, plans: { basic: { prices: { test: 'price_table' } } } };
    hosts = [
      await startBillingHost({ clockStart: START, options }),
      await startBillingHost({ clockStart: START, options: { ...options, denyPausedCollection: true } }),
    ];
    const [host] = hosts;
    await host.reset();
    await host.dataSource.getRepository(StripeSubscription).save(
      CASES.map((c, index) => ({ id: `sub_table${index}`, accountRef: `acct_table${index}`, priceId: 'price_table', quantity: 1, ...c.facts })),
    );
  });
  afterAll(async () => {
    for (const host of hosts) await host.close();
  });

  it('reads both tables in full: 9 statuses × 10 positions × 2 cancel flags, and every pause row', () => {
    expect(statusCases()).toHaveLength(9 * 10 * 2);
    expect(new Set(statusCases().map((c) => c.name)).size).toBe(180);
    expect(pauseCases().length).toBeGreaterThanOrEqual(13);
    expect(Object.keys(POSITIONS)).toEqual(readmeTable('status')[0].slice(1));
  });

  it.each(CASES.map((c, index) => [c.name, index, c] as const))('%s', async (_name, index, { expected }) => {
    for (const [which, host] of hosts.entries()) {
      const entitlement = await host.service.getEntitlement(`acct_table${index}`);
      expect({ host: which === 0 ? 'default' : 'denyPausedCollection', reason: entitlement.reason }).toEqual({
        host: which === 0 ? 'default' : 'denyPausedCollection',
        reason: expected[which],
      });
      expect(entitlement.entitled).toBe(ENTITLED_REASONS.includes(expected[which]));
    }
  });
});
