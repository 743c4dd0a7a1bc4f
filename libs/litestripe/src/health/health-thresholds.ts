import { LitestripeHealthThresholds, LitestripeQueueThresholds } from './health-thresholds.interface.js';

/** Thresholds with every default filled in. */
export interface ResolvedHealthThresholds {
  timeoutMs: number;
  outbox: Required<LitestripeQueueThresholds>;
  inbox: Required<LitestripeQueueThresholds>;
}

const QUEUE_DEFAULTS: Required<LitestripeQueueThresholds> = { maxLagMs: 5 * 60_000, maxFailed: 0 };
const TIMEOUT_DEFAULT = 1000;
// setTimeout's own ceiling: a longer delay would fire at once.
const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

/** Checks thresholds given to `check()` and fills in the defaults. A mistake throws, naming the field. */
export function resolveHealthThresholds(thresholds: LitestripeHealthThresholds | undefined): ResolvedHealthThresholds {
  if (thresholds === undefined) return { timeoutMs: TIMEOUT_DEFAULT, outbox: { ...QUEUE_DEFAULTS }, inbox: { ...QUEUE_DEFAULTS } };
  requireObject('thresholds', thresholds, ['timeoutMs', 'outbox', 'inbox']);
  const timeoutMs = thresholds.timeoutMs ?? TIMEOUT_DEFAULT;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > LONGEST_TIMEOUT_MS) {
    throw new RangeError(`${where('thresholds.timeoutMs')} must be a whole number of ms from 1 to ${LONGEST_TIMEOUT_MS}, got ${show(timeoutMs)}.`);
  }
  return { timeoutMs, outbox: resolveQueue('outbox', thresholds.outbox), inbox: resolveQueue('inbox', thresholds.inbox) };
}

function resolveQueue(name: 'outbox' | 'inbox', limits: LitestripeQueueThresholds | undefined): Required<LitestripeQueueThresholds> {
  if (limits === undefined) return { ...QUEUE_DEFAULTS };
  requireObject(`thresholds.${name}`, limits, ['maxLagMs', 'maxFailed']);
  return {
    maxLagMs: limit(`thresholds.${name}.maxLagMs`, limits.maxLagMs, QUEUE_DEFAULTS.maxLagMs, 'a number of ms'),
    maxFailed: limit(`thresholds.${name}.maxFailed`, limits.maxFailed, QUEUE_DEFAULTS.maxFailed, 'a count'),
  };
}

function limit(field: string, value: number | undefined, fallback: number, kind: string): number {
  if (value === undefined) return fallback;
  if (value !== Infinity && !(Number.isInteger(value) && value >= 0)) {
    throw new RangeError(`${where(field)} must be ${kind}: a whole number of 0 or more, or Infinity for no limit; got ${show(value)}.`);
  }
  return value;
}

function requireObject(field: string, value: unknown, known: readonly string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${where(field)} must be an object, got ${show(value)}.`);
  }
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new TypeError(`${where(`${field}.${unknown[0]}`)} is not a threshold; ${field} takes ${known.join(', ')}.`);
  }
}

function where(field: string): string {
  return `LitestripeHealthIndicator.check(): ${field}`;
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}
