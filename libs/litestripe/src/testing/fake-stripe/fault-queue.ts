import type { FailureOptions, FaultMatch, HangOptions, RateLimitOptions } from './fake-stripe.options.js';

export type Fault =
  | { kind: 'rate_limit'; options: RateLimitOptions }
  | { kind: 'failure'; options: FailureOptions }
  | { kind: 'hang'; options: HangOptions }
  | { kind: 'hold'; options: HangOptions; arrive: () => void; released: Promise<void> };

interface QueuedFault {
  fault: Fault;
  remaining: number;
}

/** Injected faults, consumed in the order they were queued by the requests they match. */
export class FaultQueue {
  private queue: QueuedFault[] = [];

  push(fault: Fault, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`Fault count must be a positive integer, got ${count}`);
    this.queue.push({ fault, remaining: count });
  }

  take(method: string, path: string): Fault | undefined {
    const entry = this.queue.find((queued) => matches(queued.fault.options.match, method, path));
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.queue = this.queue.filter((queued) => queued !== entry);
    return entry.fault;
  }

  get pending(): number {
    return this.queue.reduce((sum, queued) => sum + queued.remaining, 0);
  }

  clear(): void {
    this.queue = [];
  }
}

function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.path === undefined) return true;
  return typeof match.path === 'string' ? match.path === path : match.path.test(path);
}
