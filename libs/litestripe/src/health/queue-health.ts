import type { QueueStatus } from '../common/queue-status.js';
import type { LitestripeQueueThresholds } from './health-thresholds.interface.js';

/** One queue's part of the health result: its numbers, its limits (null for none) and, when down, why. */
export type QueueHealth<Status extends QueueStatus> = Status & {
  status: 'up' | 'down';
  maxLagMs: number | null;
  maxFailed: number | null;
  message?: string;
};

/**
 * Compares a queue's status with its limits. `refusing` is a reason the queue is down whatever the
 * limits say (the inbox at `inbox.maxDepth`, whose webhook then answers 503).
 */
export function queueHealth<Status extends QueueStatus>(status: Status, limits: Required<LitestripeQueueThresholds>, refusing?: string): QueueHealth<Status> {
  const problems: string[] = [];
  if (refusing) problems.push(refusing);
  if (status.lagMs > limits.maxLagMs) problems.push(`lag ${status.lagMs} ms, ${status.lagMs - limits.maxLagMs} ms over the limit of ${limits.maxLagMs} ms`);
  if (status.failed > limits.maxFailed) problems.push(`${status.failed} failed, ${status.failed - limits.maxFailed} over the limit of ${limits.maxFailed}`);
  return {
    ...status,
    status: problems.length === 0 ? 'up' : 'down',
    maxLagMs: finiteOrNull(limits.maxLagMs),
    maxFailed: finiteOrNull(limits.maxFailed),
    ...(problems.length > 0 && { message: problems.join('; ') }),
  };
}

function finiteOrNull(limit: number): number | null {
  return limit === Infinity ? null : limit;
}
