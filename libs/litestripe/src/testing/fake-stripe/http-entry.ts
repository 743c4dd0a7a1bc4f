import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiPipeline, header } from './api-pipeline.js';
import type { FakeStripeContext } from './fake-stripe.context.js';
import type { RecordedRequest } from './fake-stripe.options.js';
import { mergeFormParams, parseFormBody } from './form-body.parser.js';
import { hostedPage } from './hosted-pages.js';
import { readBody, writeAnswer } from './http-exchange.js';
import { requestId } from './ids.js';

export interface HttpEntryDeps {
  pipeline: ApiPipeline;
  ctx: FakeStripeContext;
  requestLog: RecordedRequest[];
  apiVersion: string;
}

/** Routes `/v1/*` through the API pipeline (recording each request) and everything else to the hosted pages. */
export function createRequestHandler(deps: HttpEntryDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: error instanceof Error ? error.message : String(error) } }));
    });
  };
}

async function handle(deps: HttpEntryDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', deps.ctx.baseUrl());
  const method = (req.method ?? 'GET').toUpperCase();
  const params = mergeFormParams(parseFormBody(url.search.slice(1)), parseFormBody(await readBody(req)));
  if (!url.pathname.startsWith('/v1/')) {
    writeAnswer(res, hostedPage(method, url.pathname, params, deps.ctx), {});
    return;
  }
  const record: RecordedRequest = {
    requestId: requestId(),
    method,
    path: url.pathname,
    params,
    idempotencyKey: header(req, 'idempotency-key') ?? null,
    time: Date.now(),
    status: null,
    replayed: false,
  };
  deps.requestLog.push(record);
  const answer = await deps.pipeline.run(req, record);
  if (answer === null) return;
  record.status = answer.status;
  record.replayed = answer.replayed ?? false;
  writeAnswer(res, answer, {
    'Request-Id': record.requestId,
    // Stripe's answers are dated by the clock that dates its events: the fake's, moved by advanceClock().
    Date: new Date(deps.ctx.clock.now() * 1000).toUTCString(),
    'Stripe-Version': header(req, 'stripe-version') ?? deps.apiVersion,
    'Cache-Control': 'no-cache, no-store',
    ...(record.idempotencyKey && method === 'POST' ? { 'Idempotency-Key': record.idempotencyKey } : {}),
  });
}
