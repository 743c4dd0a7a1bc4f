import { dirname, join } from 'node:path';

type ErrorClass = new (message?: string) => Error;

/**
 * stripe-node hands errors of its `HttpClientRuntimeError` class, thrown by an HTTP client,
 * straight to the caller: it neither retries them as network failures nor wraps them in a
 * `StripeConnectionError` ("An error occurred with our connection to Stripe"). The class is not
 * exported, so it is read from stripe's own file; should that ever fail, plain `Error` is used
 * (the errors then reach callers wrapped, as `StripeConnectionError.detail`).
 */
function loadHttpClientRuntimeError(): ErrorClass {
  try {
    const httpClientModule = require(join(dirname(require.resolve('stripe')), 'net', 'HttpClient.js')) as {
      HttpClientRuntimeError?: unknown;
    };
    const candidate = httpClientModule.HttpClientRuntimeError;
    if (typeof candidate === 'function' && candidate.prototype instanceof Error) {
      return candidate as ErrorClass;
    }
  } catch {
    // Layout of the stripe package changed: fall back below.
  }
  return Error;
}

/** Base class of litestripe's errors raised inside the Stripe HTTP client. */
export const StripeHttpClientRuntimeError: ErrorClass = loadHttpClientRuntimeError();
