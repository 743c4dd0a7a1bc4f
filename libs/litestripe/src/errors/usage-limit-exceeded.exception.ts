import { HttpException, HttpStatus } from '@nestjs/common';

/** What the 429 says of the metric (a `UsageCheck` fits). */
export interface ExceededUsage {
  metric: string;
  limit: number;
  used: number;
  periodEnd: Date;
}

/**
 * 429: the account used up its limit of a metric for the period. The body names the metric, the
 * limit and when it resets: `{ statusCode: 429, error: 'Too Many Requests', message, reason:
 * 'usage_limit', metric, limit, used, resetsAt, retryAfterSeconds }`.
 */
export class UsageLimitExceededException extends HttpException {
  constructor(
    readonly check: ExceededUsage,
    /** Seconds until the period ends and the count starts again. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `The ${check.metric} limit of ${check.limit} for this period is used up; it resets at ${check.periodEnd.toISOString()}.`,
        reason: 'usage_limit',
        metric: check.metric,
        limit: check.limit,
        used: check.used,
        resetsAt: check.periodEnd.toISOString(),
        retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
