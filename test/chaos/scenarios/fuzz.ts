import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { signedDelivery } from '@litestripe/nestjs/testing';
import { SubscriptionScenario, T0 } from '../../support/scenario';
import { eventRow, litestripeRowCounts } from '../support/checks';
import { startCluster, WEBHOOK_SECRET } from '../support/cluster';
import { allowedStatuses, HostileRequest, hostileRequest } from '../support/hostile';
import { WebhookMode } from '../support/mode';
import { chaosSeed, seededRandom } from '../support/random';
import { sleep } from '../support/sender';

/**
 * Fuzz: thousands of hostile requests (support/hostile.ts) to one instance, 16 at a time over
 * keep-alive connections, after a warm-up of the same mix. Then: the answers by kind, the rows in
 * the module's tables, the process's RSS after against after the warm-up (each read after a full
 * garbage collection), and one genuine delivery.
 */
export interface FuzzResult {
  mode: WebhookMode;
  requests: number;
  /** Answers by kind and status. */
  answers: Record<string, Record<number, number>>;
  /** Answers outside their kind's expected set, e.g. `wrong UUID → 500 × 2`. */
  unexpected: string[];
  samples5xx: string[];
  fiveXX: number;
  rowsWritten: Record<string, number>;
  rssBeforeMb: number;
  rssAfterMb: number;
  stillUp: boolean;
  /** The genuine delivery after the run: its answer, and its outcome in the event log once applied. */
  genuine: { status: number; outcome: string | null; applied: string | null };
  seconds: number;
}

const CONCURRENCY = 16;

export async function runFuzz(mode: WebhookMode): Promise<FuzzResult> {
  const begin = Date.now();
  const random = seededRandom(chaosSeed() + 3);
  const cluster = await startCluster('fuzz', { mode, instances: 1 });
  const host = cluster.hosts[0];
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const ctx = { path: host.path, uuid: host.config.webhookUuid, secret: WEBHOOK_SECRET, random };
  try {
    const warmup = await fire(agent, host.port, Number(process.env.CHAOS_FUZZ_WARMUP ?? 1000), () => hostileRequest(ctx));
    await sleep(500);
    await host.collectGarbage();
    const rssBefore = host.rssKb();
    const result = await fire(agent, host.port, Number(process.env.CHAOS_FUZZ_REQUESTS ?? 5000), () => hostileRequest(ctx));
    await sleep(500);
    await host.collectGarbage();
    const rssAfter = host.rssKb();
    const rowsWritten = await litestripeRowCounts(cluster.databaseUrl);
    const stillUp = host.alive && host.starts === 1;

    const unexpected: string[] = [];
    let fiveXX = 0;
    for (const [kind, statuses] of Object.entries(mergeAnswers(warmup.answers, result.answers))) {
      for (const [status, count] of Object.entries(statuses)) {
        if (Number(status) >= 500) fiveXX += count;
        if (!allowedStatuses(kind).includes(Number(status))) unexpected.push(`${kind} → ${status} × ${count}`);
      }
    }
    const genuine = await deliverGenuine(agent, host.port, host.path, cluster.databaseUrl);
    return {
      mode,
      requests: warmup.sent + result.sent,
      answers: mergeAnswers(warmup.answers, result.answers),
      unexpected,
      samples5xx: [...warmup.samples5xx, ...result.samples5xx].slice(0, 10),
      fiveXX,
      rowsWritten,
      rssBeforeMb: rssBefore / 1024,
      rssAfterMb: rssAfter / 1024,
      stillUp,
      genuine,
      seconds: (Date.now() - begin) / 1000,
    };
  } finally {
    agent.destroy();
    await cluster.close();
  }
}

interface Fired {
  sent: number;
  answers: Record<string, Record<number, number>>;
  samples5xx: string[];
}

async function fire(agent: Agent, port: number, count: number, next: () => HostileRequest): Promise<Fired> {
  const fired: Fired = { sent: 0, answers: {}, samples5xx: [] };
  let remaining = count;
  const worker = async () => {
    while (remaining-- > 0) {
      const req = next();
      const { status, body } = req.raw ? await sendRaw(port, req.raw) : await send(agent, port, req);
      fired.sent++;
      const byStatus = (fired.answers[req.kind] ??= {});
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (status >= 500 && fired.samples5xx.length < 10) fired.samples5xx.push(`${req.kind} ${req.method} ${req.path.slice(0, 60)}: ${status} ${body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return fired;
}

function send(agent: Agent, port: number, req: HostileRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const headers = req.body ? { ...req.headers, 'content-length': String(req.body.length) } : req.headers;
    let outgoing;
    try {
      outgoing = request({ agent, host: '127.0.0.1', port, path: req.path, method: req.method, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      });
    } catch (error) {
      throw new Error(`The fuzz generator made a request Node refuses to send (${req.kind}): ${error instanceof Error ? error.message : error}`);
    }
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', (error) => resolve({ status: 0, body: error.message }));
    outgoing.end(req.body ?? undefined);
  });
}

/** Writes bytes on a fresh socket and reads the status line of whatever comes back (0: nothing). */
function sendRaw(port: number, bytes: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), body: text.split('\r\n\r\n')[1] ?? '' });
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.end(bytes);
  });
}

function mergeAnswers(...all: Record<string, Record<number, number>>[]): Record<string, Record<number, number>> {
  const merged: Record<string, Record<number, number>> = {};
  for (const answers of all) {
    for (const [kind, statuses] of Object.entries(answers)) {
      const into = (merged[kind] ??= {});
      for (const [status, count] of Object.entries(statuses)) into[Number(status)] = (into[Number(status)] ?? 0) + count;
    }
  }
  return merged;
}

/** One genuine delivery; then its event-log outcome, once no longer pending (deferred: once the applier applied it; 10 s at most). */
async function deliverGenuine(agent: Agent, port: number, path: string, databaseUrl: string): Promise<FuzzResult['genuine']> {
  const event = new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_after_fuzz' } }, T0);
  const { body, headers } = await signedDelivery(event, WEBHOOK_SECRET);
  const answer = await send(agent, port, { kind: 'genuine', method: 'POST', path, headers, body: Buffer.from(body) });
  let applied = (await eventRow(databaseUrl, event.id))?.outcome ?? null;
  for (const deadline = Date.now() + 10_000; applied === 'pending' && Date.now() < deadline; applied = (await eventRow(databaseUrl, event.id))?.outcome ?? null) await sleep(100);
  return { status: answer.status, outcome: /"outcome"\s*:\s*"(\w+)"/.exec(answer.body)?.[1] ?? null, applied };
}
