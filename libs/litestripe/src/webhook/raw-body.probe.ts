import { createServer, request as httpRequest, RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request through the app's own HTTP stack, as the start-up probe sends it. */
export interface ProbeRequest {
  /** The path the request goes to (the webhook's, with the real UUID). */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** How long the request may take once it is sent. */
  timeoutMs: number;
}

/** The part of a Fastify instance the probe uses. */
interface InjectingInstance {
  ready(): PromiseLike<unknown>;
  inject(options: { method: 'POST'; url: string; headers: Record<string, string>; payload: Buffer }): PromiseLike<{ statusCode: number }>;
}

/** The request could not be sent or answered (no loopback port, a timeout): the probe found nothing. */
export class ProbeFailure extends Error {
  override readonly name = 'ProbeFailure';
}

/**
 * Sends `probe` through an Express app: the app (its `(req, res)` handler, with every middleware,
 * body parser and route Nest gave it) is served for this one request by a server of its own, on a
 * loopback port chosen by the system and closed afterwards. The app's own HTTP server is not
 * touched, so a later `listen()` (or none, after `init()`) is unaffected. Answers the status.
 */
export async function probeExpress(app: RequestListener, probe: ProbeRequest): Promise<number> {
  const server = createServer(app);
  try {
    await listenOnLoopback(server);
    const { address, port } = server.address() as AddressInfo;
    return await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: address, port, method: 'POST', path: probe.path, headers: { ...probe.headers, 'content-length': String(probe.body.length) }, agent: false },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
          res.once('error', (error) => reject(new ProbeFailure(error.message)));
        },
      );
      req.once('error', (error) => reject(error instanceof ProbeFailure ? error : new ProbeFailure(error.message)));
      req.setTimeout(probe.timeoutMs, () => req.destroy(new ProbeFailure(`no answer within ${probe.timeoutMs} ms`)));
      req.end(probe.body);
    });
  } finally {
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Binds `server` to a free port on IPv4 loopback, or on IPv6 loopback where there is no IPv4. */
async function listenOnLoopback(server: Server): Promise<void> {
  let failure: Error | undefined;
  for (const host of ['127.0.0.1', '::1']) {
    try {
      return await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // exclusive: in a cluster worker, the port is the worker's own, not one shared through the primary.
        server.listen({ port: 0, host, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      failure = error as Error;
    }
  }
  throw new ProbeFailure(`no loopback port for the probe: ${failure?.message}`);
}

/**
 * Sends `probe` through a Fastify instance with `inject()` (Fastify's in-process request, through
 * its hooks, content-type parsers and routes, without a socket). `inject()` needs the instance
 * ready, so this readies it first, as `listen()` would (Nest's testing recipe for Fastify does the
 * same after `init()`): an error of a plugin there is the app's own start-up failure and is thrown
 * as it is. Answers the status.
 */
export async function probeFastify(instance: InjectingInstance, probe: ProbeRequest): Promise<number> {
  await instance.ready();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeFailure(`no answer within ${probe.timeoutMs} ms`)), probe.timeoutMs);
  });
  try {
    const response = await Promise.race([instance.inject({ method: 'POST', url: probe.path, headers: probe.headers, payload: probe.body }), timeout]);
    return response.statusCode;
  } catch (error) {
    throw error instanceof ProbeFailure ? error : new ProbeFailure(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}
