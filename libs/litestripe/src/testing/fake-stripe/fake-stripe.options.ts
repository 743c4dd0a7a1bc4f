import type { ClockSource } from './fake-clock.js';
import type { FormParams } from './form-body.parser.js';

export interface WebhookEndpoint {
  url: string;
  /** The `whsec_...` secret the receiving app verifies `Stripe-Signature` with. @default the fake's `webhookSecret` */
  secret?: string;
}

export interface FakeStripeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Delay before every API answer. */
  latencyMs?: number;
  /** Source of "now" in unix seconds (default: the system clock); `advanceClock` adds to it. */
  now?: ClockSource;
  /** `api_version` stamped on events; defaults to the installed stripe package's pinned version. */
  apiVersion?: string;
  /**
   * Accept only these keys; by default any `sk_test_`/`sk_live_`/`rk_test_`/`rk_live_` key passes.
   * The first becomes the fake's `secretKey`.
   */
  apiKeys?: string[];
  /** The fake's `webhookSecret` (`whsec_...`), with which it signs deliveries. @default a random one */
  webhookSecret?: string;
  /** Push every new event here, signed, like a Stripe webhook endpoint. */
  webhook?: WebhookEndpoint;
}

/** One API request as the fake saw it. */
export interface RecordedRequest {
  requestId: string;
  method: string;
  /** Without the query string. */
  path: string;
  /** Decoded body (POST) or query (GET/DELETE). */
  params: FormParams;
  idempotencyKey: string | null;
  /** Arrival, epoch milliseconds (wall clock, not the fake clock). */
  time: number;
  /** null while unanswered (or forever, for hung requests). */
  status: number | null;
  /** The answer was replayed from the idempotency cache. */
  replayed: boolean;
}

/** Restricts a fault to matching requests; others pass through untouched. */
export interface FaultMatch {
  method?: string;
  /** Exact path (`/v1/subscriptions`) or a pattern. */
  path?: string | RegExp;
}

export interface RateLimitOptions {
  retryAfterSeconds?: number;
  /**
   * Sends `Stripe-Should-Retry: true` (default), which is what makes stripe-node retry a 429
   * at all; false leaves the 429 to the caller.
   */
  shouldRetry?: boolean;
  match?: FaultMatch;
}

export interface FailureOptions {
  status?: 500 | 502 | 503 | 504 | 409;
  message?: string;
  code?: string;
  /** Sets `Stripe-Should-Retry`; unset leaves retrying to stripe-node's defaults (it retries 409 and 5xx). */
  shouldRetry?: boolean;
  match?: FaultMatch;
}

export interface HangOptions {
  match?: FaultMatch;
}

/** A request held by `holdNext`: act while it waits, then let it run. */
export interface HeldRequest {
  /** Resolves when the matching request has arrived (and waits). */
  arrived: Promise<void>;
  /** Lets the request run and be answered as usual. */
  release(): void;
}

export interface PauseOptions {
  /** `refuse` (default) closes the listener: ECONNREFUSED. `reset` accepts then destroys sockets: ECONNRESET. */
  mode?: 'refuse' | 'reset';
}
