import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * Test support (not part of the library API): a tiny local HTTP server that answers like the
 * Stripe API, for the real `stripe` client pointed at it with {@link StripeApiStub.clientConfig}.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  /** Arrival time, `performance.now()` milliseconds. */
  at: number;
  idempotencyKey?: string;
  stripeVersion?: string;
  authorization?: string;
  /** Sequence number of the TCP connection that carried the request. */
  connection: number;
}

export interface StubReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Answer without a `Date` header (Node's server adds one otherwise). */
  withoutDate?: boolean;
}

/** A 429 as Stripe sends it. */
export function tooManyRequests(headers: Record<string, string> = {}): StubReply {
  return {
    status: 429,
    headers,
    body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly.' } },
  };
}

/** A 500 as Stripe sends it. */
export function serverError(): StubReply {
  return { status: 500, body: { error: { type: 'api_error', message: 'Something went wrong on our end.' } } };
}

export class StripeApiStub {
  readonly requests: RecordedRequest[] = [];
  private readonly replies: StubReply[] = [];
  private server?: Server;
  private connections = 0;
  private createdCustomers = 0;

  async start(): Promise<this> {
    const server = createServer((request, response) => this.answer(request, response));
    server.on('connection', (socket) => {
      (socket as { stubConnection?: number }).stubConnection = ++this.connections;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return this;
  }

  /** `host`, `port` and `protocol` for the `stripe` config. */
  clientConfig(): { host: string; port: number; protocol: 'http' } {
    return { host: '127.0.0.1', port: (this.server!.address() as AddressInfo).port, protocol: 'http' };
  }

  /** The next requests get these replies, in order; after them, the customer is answered. */
  enqueue(...replies: StubReply[]): void {
    this.replies.push(...replies);
  }

  /** Forgets recorded requests and queued replies. */
  reset(): void {
    this.requests.length = 0;
    this.replies.length = 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const at = performance.now();
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    this.requests.push({
      method: request.method ?? '',
      path: request.url ?? '',
      at,
      idempotencyKey: header('idempotency-key'),
      stripeVersion: header('stripe-version'),
      authorization: header('authorization'),
      connection: (request.socket as { stubConnection?: number }).stubConnection ?? 0,
    });
    request.resume();
    request.on('end', () => {
      const reply = this.replies.shift() ?? this.customer(request);
      const body = JSON.stringify(reply.body ?? {});
      response.sendDate = !reply.withoutDate;
      response.writeHead(reply.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'request-id': `req_stub_${this.requests.length}`,
        ...reply.headers,
      });
      response.end(body);
    });
  }

  private customer(request: IncomingMessage): StubReply {
    const match = /^\/v1\/customers\/([^/?]+)/.exec(request.url ?? '');
    const id = match ? decodeURIComponent(match[1]) : `cus_stub_${++this.createdCustomers}`;
    return { status: 200, body: { object: 'customer', id } };
  }
}
