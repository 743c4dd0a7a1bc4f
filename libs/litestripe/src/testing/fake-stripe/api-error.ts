/** The `error` member of Stripe's error body. */
export interface StripeErrorBody {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
}

/** Thrown by route handlers; the pipeline turns it into Stripe's error response. */
export class FakeStripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeErrorBody,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(error.message);
    this.name = 'FakeStripeApiError';
  }
}

function withCode(status: number, type: StripeErrorBody['type'], code: string, message: string, param?: string): FakeStripeApiError {
  const doc_url = `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
  return new FakeStripeApiError(status, { type, code, message, ...(param ? { param } : {}), doc_url });
}

export function resourceMissing(kind: string, id: string, param = 'id'): FakeStripeApiError {
  return withCode(404, 'invalid_request_error', 'resource_missing', `No such ${kind}: '${id}'`, param);
}

export function parameterMissing(param: string): FakeStripeApiError {
  return withCode(400, 'invalid_request_error', 'parameter_missing', `Missing required param: ${param}.`, param);
}

export function parameterInvalid(param: string, message: string, code?: string): FakeStripeApiError {
  if (code) return withCode(400, 'invalid_request_error', code, message, param);
  return new FakeStripeApiError(400, { type: 'invalid_request_error', message, param });
}

/** An `invalid_request_error` with Stripe's error `code` (and its `doc_url`). */
export function invalidRequestWithCode(code: string, message: string, param?: string): FakeStripeApiError {
  return withCode(400, 'invalid_request_error', code, message, param);
}

export function invalidRequest(message: string, param?: string): FakeStripeApiError {
  return new FakeStripeApiError(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}) });
}

export function unrecognizedUrl(method: string, path: string): FakeStripeApiError {
  return new FakeStripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

export function unauthorized(message: string): FakeStripeApiError {
  return new FakeStripeApiError(401, { type: 'invalid_request_error', message });
}

export function idempotencyMismatch(key: string): FakeStripeApiError {
  return new FakeStripeApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

export function idempotencyInFlight(): FakeStripeApiError {
  return withCode(
    409,
    'invalid_request_error',
    'idempotency_key_in_use',
    'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later.',
  );
}

export function internalError(message: string): FakeStripeApiError {
  return new FakeStripeApiError(500, { type: 'api_error', message });
}
