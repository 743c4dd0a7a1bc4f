import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/free-port';
import { lineCollector, startedInstances } from './log-store';

const REPO = join(__dirname, '..', '..', '..');
/** Compiled by test/chaos/global-setup.js. */
export const HOST_SCRIPT = join(REPO, 'dist', 'chaos', 'test', 'chaos', 'host', 'main.js');
const BOOT_TIMEOUT_MS = 60_000;

export interface HostConfig {
  name: string;
  databaseUrl: string;
  secretKey: string;
  webhookSecret: string;
  webhookUuid: string;
  env?: Record<string, string>;
}

const running = new Set<HostProcess>();

/** What `WebhookInboxService` answers in a host (dates arrive as ISO strings over IPC). */
export interface HostInbox {
  status: { webhookProcessing: string; depth: number; maxDepth: number; lagMs: number; failed: number };
  failed: { id: string; type: string; orderingKey: string | null; attempts: number; lastError: string | null; retryable: boolean }[];
}

/**
 * One chaos host as a real child process on a fixed port (kept across restarts, so that the load
 * generator's targets stay put). Its stdout and stderr go to the suite's log store line by line.
 */
export class HostProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  readonly tail: string[] = [];
  starts = 0;

  private constructor(
    readonly config: HostConfig,
    readonly port: number,
  ) {}

  static async create(config: HostConfig): Promise<HostProcess> {
    return new HostProcess(config, await freePort());
  }

  get path(): string {
    return `/ls/hook/${this.config.webhookUuid}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once it listens (it says so over IPC). */
  async start(): Promise<void> {
    if (this.alive) throw new Error(`${this.config.name} is already running`);
    this.starts += 1;
    const label = this.starts === 1 ? this.config.name : `${this.config.name}#${this.starts}`;
    startedInstances.add(label);
    const child = spawn(process.execPath, ['--expose-gc', HOST_SCRIPT], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        PORT: String(this.port),
        DATABASE_URL: this.config.databaseUrl,
        STRIPE_SECRET_KEY: this.config.secretKey,
        STRIPE_WEBHOOK_SECRET: this.config.webhookSecret,
        STRIPE_WEBHOOK_UUID: this.config.webhookUuid,
        CHAOS_INSTANCE: label,
        ...this.config.env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    running.add(this);
    const out = lineCollector(label, 'stdout', this.tail);
    const err = lineCollector(label, 'stderr', this.tail);
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        out.flush();
        err.flush();
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`did not listen within ${BOOT_TIMEOUT_MS / 1000} s`), BOOT_TIMEOUT_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${label} ${why}:\n${this.tail.slice(-30).join('\n')}`));
      };
      const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? code}) before listening`);
      child.once('exit', onExit);
      child.on('message', (message: { type?: string }) => {
        if (message?.type !== 'listening') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      });
    });
  }

  /** `kill -9`: no shutdown hook, no flush, transactions cut wherever they are. */
  async kill9(): Promise<void> {
    if (!this.child || !this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop (SIGTERM), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    running.delete(this);
    if (!this.child || !this.alive) return;
    const child = this.child;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Asks the process for a full garbage collection and waits until it is done. */
  async collectGarbage(): Promise<void> {
    await this.ask('gc', 'gc-done');
  }

  /** The inbox as the host's `WebhookInboxService` reports it: `status()` and `listFailed()`. */
  async inbox(): Promise<HostInbox> {
    const answer = (await this.ask('inbox', 'inbox')) as unknown as HostInbox & { error?: string };
    if (answer.error) throw new Error(`${this.config.name}'s WebhookInboxService failed: ${answer.error}`);
    return { status: answer.status, failed: answer.failed };
  }

  /** Sends a command over IPC and waits for the answer of the given type. */
  private ask(cmd: string, type: string): Promise<Record<string, unknown>> {
    const child = this.child!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`${this.config.name} did not answer ${cmd}`));
      }, 10_000);
      const onMessage = (message: { type?: string }) => {
        if (message?.type !== type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message as Record<string, unknown>);
      };
      child.on('message', onMessage);
      child.send({ cmd });
    });
  }

  /** Resident set size in kB, from /proc/<pid>/status. */
  rssKb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!match) throw new Error(`No VmRSS for ${this.config.name}`);
    return Number(match[1]);
  }
}

/** Stops every host still running (after a failed scenario). */
export async function stopAllHosts(): Promise<void> {
  await Promise.all([...running].map((host) => host.stop()));
}
