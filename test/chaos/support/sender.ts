import { Agent, request } from 'node:http';
import { signedDelivery } from '@litestripe/nestjs/testing';
import { Delivery } from './stream';

/**
 * Delivers a stream the way Stripe does: signed at each attempt (fresh timestamp), over keep-alive
 * connections spread over the targets (worker k always posts to target k mod n), and anything
 * that did not get a 2xx (an error status, or no answer at all: a killed instance) is redelivered
 * with exponential backoff until it does, or the deadline passes.
 */
export interface Target {
  port: number;
  path: string;
}

export interface SendReport {
  attempts: number;
  /** Answers by HTTP status; 0 = no answer (refused, reset, timed out). */
  statuses: Record<number, number>;
  outcomes: Record<string, number>;
  /** Deliveries still without a 2xx at the deadline. */
  unfinished: number;
  /** Deliveries given up after their `maxAttempts` without a 2xx. */
  abandoned: number;
  /** Answers of the tagged deliveries, by tag, in order: `500`, `200 queued`, … (not counted in statuses and outcomes). */
  tagged: Record<string, string[]>;
  seconds: number;
  samples: string[];
}

export interface SendOptions {
  concurrency: number;
  secret: string;
  deadlineMs: number;
  /** First retry delay; doubled per attempt up to 4 s, with jitter. */
  backoffMs?: number;
  requestTimeoutMs?: number;
}

export class Sender {
  /** Requests in flight to each target. */
  readonly inFlight: number[];
  /** Deliveries taken from the stream so far (first attempts). */
  started = 0;
  /** Deliveries answered with a 2xx so far. */
  answered = 0;
  private readonly agents: Agent[];

  constructor(
    private readonly targets: Target[],
    private readonly options: SendOptions,
  ) {
    this.inFlight = targets.map(() => 0);
    this.agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: Math.ceil(options.concurrency / targets.length) }));
  }

  async send(deliveries: readonly Delivery[]): Promise<SendReport> {
    const report: SendReport = { attempts: 0, statuses: {}, outcomes: {}, unfinished: 0, abandoned: 0, tagged: {}, seconds: 0, samples: [] };
    const retries: { due: number; delivery: Delivery; attempt: number }[] = [];
    const deadline = Date.now() + this.options.deadlineMs;
    const backoff = this.options.backoffMs ?? 200;
    let active = 0;
    const begin = Date.now();

    const worker = async (k: number) => {
      const target = k % this.targets.length;
      for (;;) {
        if (Date.now() > deadline) return;
        let job: { delivery: Delivery; attempt: number } | undefined;
        const dueIndex = retries.findIndex((r) => r.due <= Date.now());
        if (dueIndex >= 0) job = retries.splice(dueIndex, 1)[0];
        else if (this.started < deliveries.length) job = { delivery: deliveries[this.started++], attempt: 1 };
        if (!job) {
          if (retries.length === 0 && active === 0) return;
          await sleep(25);
          continue;
        }
        active++;
        this.inFlight[target]++;
        const { status, body } = await this.post(target, job.delivery);
        this.inFlight[target]--;
        active--;
        report.attempts++;
        const ok = status >= 200 && status < 300;
        if (ok) this.answered++;
        const outcome = ok ? (/"outcome"\s*:\s*"(\w+)"/.exec(body)?.[1] ?? 'unknown') : null;
        const { tag, maxAttempts } = job.delivery;
        if (tag !== undefined) {
          (report.tagged[tag] ??= []).push(outcome ? `${status} ${outcome}` : String(status));
        } else {
          report.statuses[status] = (report.statuses[status] ?? 0) + 1;
          if (outcome) report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
          else if (status !== 0 && report.samples.length < 10) report.samples.push(`${status} ${body.slice(0, 160)}`);
        }
        if (!ok && maxAttempts !== undefined && job.attempt >= maxAttempts) {
          report.abandoned++;
        } else if (!ok) {
          const delay = Math.min(4000, backoff * 2 ** (job.attempt - 1)) * (0.5 + Math.random());
          retries.push({ due: Date.now() + delay, delivery: job.delivery, attempt: job.attempt + 1 });
          // No answer at all (the instance is down): this connection's sender waits before its next try.
          if (status === 0) await sleep(250);
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, (_, k) => worker(k)));
    report.unfinished = retries.length + (deliveries.length - this.started);
    report.seconds = (Date.now() - begin) / 1000;
    return report;
  }

  close(): void {
    for (const agent of this.agents) agent.destroy();
  }

  private async post(target: number, delivery: Delivery): Promise<{ status: number; body: string }> {
    const { body, headers } = await signedDelivery(delivery.event, this.options.secret);
    const { port, path } = this.targets[target];
    return new Promise((resolve) => {
      const req = request(
        { agent: this.agents[target], host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', (error) => resolve({ status: 0, body: error.message }));
        },
      );
      req.setTimeout(this.options.requestTimeoutMs ?? 30_000, () => req.destroy(new Error('request timed out')));
      req.on('error', (error) => resolve({ status: 0, body: error.message }));
      req.end(body);
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function count5xx(report: SendReport): number {
  return Object.entries(report.statuses).reduce((n, [status, count]) => n + (Number(status) >= 500 ? count : 0), 0);
}

/** Two sends' reports as one (a scenario's phases). */
export function mergeReports(a: SendReport, b: SendReport): SendReport {
  const add = (x: Record<string | number, number>, y: Record<string | number, number>) => {
    const sum: Record<string | number, number> = { ...x };
    for (const [key, n] of Object.entries(y)) sum[key] = (sum[key] ?? 0) + n;
    return sum;
  };
  const tagged: Record<string, string[]> = { ...a.tagged };
  for (const [tag, answers] of Object.entries(b.tagged)) tagged[tag] = [...(tagged[tag] ?? []), ...answers];
  return {
    attempts: a.attempts + b.attempts,
    statuses: add(a.statuses, b.statuses),
    outcomes: add(a.outcomes, b.outcomes),
    unfinished: a.unfinished + b.unfinished,
    abandoned: a.abandoned + b.abandoned,
    tagged,
    seconds: a.seconds + b.seconds,
    samples: [...a.samples, ...b.samples].slice(0, 10),
  };
}
