import type { IncomingMessage } from 'node:http';
import { FakeStripeApiError, idempotencyInFlight, idempotencyMismatch, internalError, invalidRequest, unrecognizedUrl } from './api-error.js';
import { authenticate } from './auth.js';
import { expandResponse } from './expand.js';
import type { FakeStripeContext } from './fake-stripe.context.js';
import type { RecordedRequest } from './fake-stripe.options.js';
import { type Answer, errorAnswer, faultAnswer } from './fault-answers.js';
import type { FaultQueue } from './fault-queue.js';
import type { FormParams } from './form-body.parser.js';
import type { IdempotencyCache } from './idempotency-cache.js';
import { expandPaths } from './request-params.js';
import type { HttpMethod, Router } from './router.js';

export interface ApiPipelineDeps {
  ctx: FakeStripeContext;
  router: Router;
  faults: FaultQueue;
  idempotency: IdempotencyCache;
  apiKeys?: ReadonlySet<string>;
  latencyMs: () => number;
  delay: (ms: number) => Promise<void>;
}

/** null: the request is deliberately left unanswered. */
export type PipelineResult = Answer | null;

/** One `/v1` request through latency, faults, auth, idempotency, routing and expansion. */
export class ApiPipeline {
  constructor(private readonly deps: ApiPipelineDeps) {}

  async run(req: IncomingMessage, record: RecordedRequest): Promise<PipelineResult> {
    const latency = this.deps.latencyMs();
    if (latency > 0) await this.deps.delay(latency);
    const fault = this.deps.faults.take(record.method, record.path);
    if (fault?.kind === 'hang') return null;
    if (fault?.kind === 'hold') {
      fault.arrive();
      await fault.released;
    } else if (fault) return faultAnswer(fault);
    let apiKey: string;
    try {
      apiKey = authenticate(header(req, 'authorization'), this.deps.apiKeys);
      if (header(req, 'content-type')?.includes('application/json')) {
        throw invalidRequest('Invalid request: unsupported Content-Type application/json. Stripe API v1 expects application/x-www-form-urlencoded.');
      }
    } catch (error) {
      return toAnswer(error);
    }
    if (record.method !== 'POST' || !record.idempotencyKey) return this.execute(record);
    return this.executeIdempotently(apiKey, record.idempotencyKey, record);
  }

  private executeIdempotently(apiKey: string, key: string, record: RecordedRequest): Answer {
    const lookup = this.deps.idempotency.begin(apiKey, key, fingerprint(record));
    if (lookup.state === 'mismatch') return toAnswer(idempotencyMismatch(key));
    if (lookup.state === 'in_flight') return toAnswer(idempotencyInFlight());
    if (lookup.state === 'replay') {
      const { status, body, requestId } = lookup.answer;
      return { status, body, replayed: true, headers: { 'Idempotent-Replayed': 'true', 'Original-Request': requestId } };
    }
    const answer = this.execute(record);
    // Like Stripe, only requests that ran are saved: a 4xx (validation) frees the key for a corrected retry.
    if (answer.status >= 400 && answer.status < 500) this.deps.idempotency.release(apiKey, key);
    else this.deps.idempotency.complete(apiKey, key, { status: answer.status, body: answer.body, requestId: record.requestId });
    return answer;
  }

  private execute(record: RecordedRequest): Answer {
    try {
      const route = this.deps.router.match(record.method, record.path);
      if (!route) throw unrecognizedUrl(record.method, record.path);
      const idempotencyKey = record.idempotencyKey;
      const body = route.handler(
        {
          method: record.method as HttpMethod,
          path: record.path,
          pathParams: route.pathParams,
          params: record.params,
          requestId: record.requestId,
          idempotencyKey,
          eventRequest: { id: record.requestId, idempotency_key: idempotencyKey },
        },
        this.deps.ctx,
      );
      return { status: 200, body: JSON.stringify(expandResponse(body, expandPaths(record.params), this.deps.ctx)) };
    } catch (error) {
      return toAnswer(error);
    }
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function toAnswer(error: unknown): Answer {
  const apiError = error instanceof FakeStripeApiError ? error : internalError(error instanceof Error ? error.message : String(error));
  return errorAnswer(apiError.status, apiError.error, { ...apiError.headers });
}

function fingerprint(record: RecordedRequest): string {
  return `${record.method} ${record.path} ${canonicalJson(record.params)}`;
}

function canonicalJson(value: FormParams | FormParams[keyof FormParams]): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
}
