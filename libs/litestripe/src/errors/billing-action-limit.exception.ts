import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * 429: the account started more billing actions than `billingActionLimit` allows. Nothing was sent
 * to Stripe. The body names the wait: `{ statusCode: 429, error: 'Too Many Requests', message,
 * reason: 'billing_action_limit', retryAfterSeconds }`.
 */
export class BillingActionLimitException extends HttpException {
  constructor(
    /** Seconds until the account may start a billing action again. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `Too many billing actions for this account; try again in ${retryAfterSeconds} s.`,
        reason: 'billing_action_limit',
        retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
