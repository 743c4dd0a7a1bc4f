import type { StripeErrorBody } from './api-error.js';
import type { Fault } from './fault-queue.js';

export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
  replayed?: boolean;
}

/** The response Stripe gives in each injected failure mode. */
export function faultAnswer(fault: Exclude<Fault, { kind: 'hang' | 'hold' }>): Answer {
  if (fault.kind === 'rate_limit') {
    const { retryAfterSeconds = 1, shouldRetry = true } = fault.options;
    return errorAnswer(
      429,
      {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
      },
      {
        'Retry-After': String(retryAfterSeconds),
        'Stripe-Rate-Limited-Reason': 'global-rate',
        'Stripe-Should-Retry': String(shouldRetry),
      },
    );
  }
  const { status = 500, message, code, shouldRetry } = fault.options;
  const error: StripeErrorBody = {
    type: status === 409 ? 'invalid_request_error' : 'api_error',
    message: message ?? (status === 409 ? 'Conflict: another request is modifying this object.' : 'An unknown error occurred'),
    ...(code ? { code } : {}),
  };
  return errorAnswer(status, error, shouldRetry === undefined ? {} : { 'Stripe-Should-Retry': String(shouldRetry) });
}

export function errorAnswer(status: number, error: StripeErrorBody, headers: Record<string, string> = {}): Answer {
  return { status, body: JSON.stringify({ error }), headers };
}
