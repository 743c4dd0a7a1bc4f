import { LitestripeHealthThresholds } from './health-thresholds.interface.js';
import { resolveHealthThresholds } from './health-thresholds.js';

describe('resolveHealthThresholds', () => {
  it('fills in the defaults: 1 s to answer, 5 minutes of lag and no failure for each queue', () => {
    const defaults = { timeoutMs: 1000, outbox: { maxLagMs: 300_000, maxFailed: 0 }, inbox: { maxLagMs: 300_000, maxFailed: 0 } };
    expect(resolveHealthThresholds(undefined)).toEqual(defaults);
    expect(resolveHealthThresholds({})).toEqual(defaults);
    expect(resolveHealthThresholds({ outbox: {}, inbox: {} })).toEqual(defaults);
  });

  it('keeps what is given beside the defaults, Infinity turning a limit off', () => {
    expect(resolveHealthThresholds({ timeoutMs: 250, outbox: { maxFailed: 5 }, inbox: { maxLagMs: 60_000, maxFailed: Infinity } })).toEqual({
      timeoutMs: 250,
      outbox: { maxLagMs: 300_000, maxFailed: 5 },
      inbox: { maxLagMs: 60_000, maxFailed: Infinity },
    });
  });

  it.each([
    ['a timeout of 0', { timeoutMs: 0 }, 'LitestripeHealthIndicator.check(): thresholds.timeoutMs must be a whole number of ms from 1 to 2147483647, got 0.'],
    ['an endless timeout', { timeoutMs: Infinity }, 'thresholds.timeoutMs must be a whole number of ms from 1 to 2147483647, got Infinity.'],
    ['a negative lag', { outbox: { maxLagMs: -1 } }, 'thresholds.outbox.maxLagMs must be a number of ms: a whole number of 0 or more, or Infinity for no limit; got -1.'],
    ['a fraction of a failure', { inbox: { maxFailed: 1.5 } }, 'thresholds.inbox.maxFailed must be a count: a whole number of 0 or more, or Infinity for no limit; got 1.5.'],
    ['a count as a string', { inbox: { maxFailed: '3' } }, 'thresholds.inbox.maxFailed must be a count: a whole number of 0 or more, or Infinity for no limit; got "3".'],
    ['NaN', { inbox: { maxLagMs: NaN } }, 'thresholds.inbox.maxLagMs must be a number of ms: a whole number of 0 or more, or Infinity for no limit; got NaN.'],
    ['a misspelt threshold', { outbox: { maxFailures: 3 } }, 'thresholds.outbox.maxFailures is not a threshold; thresholds.outbox takes maxLagMs, maxFailed.'],
    ['an unknown section', { database: { timeoutMs: 500 } }, 'thresholds.database is not a threshold; thresholds takes timeoutMs, outbox, inbox.'],
    ['a number for a section', { outbox: 5 }, 'thresholds.outbox must be an object, got 5.'],
  ])('refuses %s, naming the field', (_case, thresholds, message) => {
    expect(() => resolveHealthThresholds(thresholds as LitestripeHealthThresholds)).toThrow(message);
  });

  it('refuses thresholds that are not an object', () => {
    expect(() => resolveHealthThresholds(null as unknown as LitestripeHealthThresholds)).toThrow('thresholds must be an object, got null.');
  });
});
