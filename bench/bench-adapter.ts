/** The HTTP adapter a bench server runs on: BENCH_ADAPTER, express (the default) or fastify. */
export type BenchAdapter = 'express' | 'fastify';

export function benchAdapter(value = process.env.BENCH_ADAPTER || 'express'): BenchAdapter {
  if (value !== 'express' && value !== 'fastify') throw new Error(`BENCH_ADAPTER (--adapter) must be express or fastify, not ${value}`);
  return value;
}

/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable across the processes of a
 * bench on one machine (each process's `performance.timeOrigin` is read from the same clock).
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** bench/module-host.ts's answer to `dispatch-report`. */
export interface DispatchReport {
  type: 'dispatch-times';
  /** [Stripe event id, wall-clock ms (wallClockMs) of the first dispatch of one of its domain events]. */
  times: [string, number][];
  /** Domain events seen, including the second and later ones of a Stripe event. */
  domainEvents: number;
}
