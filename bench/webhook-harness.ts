import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Client } from 'pg';
import { createDatabase, dropDatabase } from '../test/support/postgres-databases';
import type { ProfileSummary } from './cpu-profile';
import { findRepoRoot, SignedBody } from './webhook-events';

/**
 * What the webhook benches share (bench/webhook-throughput.ts, bench/webhook-ingest.ts): tracked
 * databases, server processes and their IPC, CPU accounting from /proc, and the closed-loop load
 * generator.
 */

const REPO = findRepoRoot(__dirname);

// ---------------------------------------------------------------------------------------------
// Databases

const createdDatabases = new Set<string>();

/** A fresh database, dropped at the end even if the run fails. */
export async function createTrackedDatabase(serverUrl: string, name: string): Promise<string> {
  const url = await createDatabase(serverUrl, name);
  createdDatabases.add(name);
  return url;
}

export async function dropTrackedDatabase(serverUrl: string, name: string): Promise<void> {
  await dropDatabase(serverUrl, name);
  createdDatabases.delete(name);
}

// ---------------------------------------------------------------------------------------------
// Server processes

export interface ServerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

export function startServer(script: string, env: Record<string, string>, preloads: string[]): ServerProcess {
  const args = [...preloads.flatMap((preload) => ['-r', preload]), script];
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.add(child);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { children.delete(child); resolve(code); }));
  return { child, output, exited };
}

export async function stopServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await server.exited;
  clearTimeout(timer);
}

/** Waits until the server answers on the webhook path (an unsigned POST: any HTTP answer will do). */
export async function waitForServer(server: ServerProcess, port: number, path: string, label: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void server.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${label} exited (code ${exitCode}) before answering:\n${server.output.slice(-30).join('\n')}`);
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end('{}');
    });
    if (status === 404) throw new Error(`${label} answers 404 on ${path}: is the webhook mounted there?\n${server.output.slice(-30).join('\n')}`);
    if (status !== 0) return;
    if (Date.now() > deadline) throw new Error(`${label} did not answer within ${timeoutMs / 1000} s:\n${server.output.slice(-30).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function ipc<T>(child: ChildProcess, cmd: string, reply: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No ${reply} from the server (was it started with the preload?)`)), timeoutMs);
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== reply) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.send({ cmd });
  });
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): where the time of the measured phase went

export interface CpuSnapshot {
  machine: { busy: number; steal: number; total: number };
  ticks: Map<string, number>;
}

/** CPU ticks spent during the measured slices of one side, summed. */
export interface CpuTally {
  ticks: Map<string, number>;
  machineBusy: number;
  machineSteal: number;
  machineTotal: number;
}

const TICK_MS = 10; // CLK_TCK = 100 on Linux

/** [utime, stime] of a process, in clock ticks. */
function procTimes(pid: number | string): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[11]), Number(fields[12])];
}

/** [voluntary, involuntary] context switches of a process. */
function contextSwitches(pid: number): [number, number] {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return [read('voluntary_ctxt_switches'), read('nonvoluntary_ctxt_switches')];
}

function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim().startsWith('postgres')) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * The database a PostgreSQL process works for, from the title it sets itself
 * (`postgres: 15/main: <user> <database> <host>(<port>) <activity>`, `... autovacuum worker <database>`);
 * null for the postmaster and the processes every database shares (WAL writer, checkpointer...).
 */
function postgresDatabase(pid: number): string | null {
  const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  const rest = /^postgres: [^:]*: (.*)$/.exec(title)?.[1];
  if (!rest) return null;
  const autovacuum = /^autovacuum worker (\S+)/.exec(rest);
  if (autovacuum) return autovacuum[1];
  return /^\S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(rest)?.[1] ?? null;
}

/**
 * CPU ticks so far of the server, the load generator and PostgreSQL. With `database`, the
 * backends of other databases (someone else's tests on the same server) are kept apart from the
 * side's own backends and the shared processes.
 */
export function cpuSnapshot(serverPid: number, database?: string): CpuSnapshot | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const [user0, nice, system0, idle, iowait, irq, softirq, steal] = cpu;
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const ticks = new Map<string, number>();
    const [user, system] = procTimes(serverPid);
    ticks.set('server', user + system);
    ticks.set('server:sys', system);
    const [voluntary, involuntary] = contextSwitches(serverPid);
    ticks.set('server:cs-voluntary', voluntary);
    ticks.set('server:cs-involuntary', involuntary);
    const [loadUser, loadSystem] = procTimes(process.pid);
    ticks.set('loadgen', loadUser + loadSystem);
    for (const pid of postgresPids()) {
      try {
        const [pgUser, pgSystem] = procTimes(pid);
        const other = database !== undefined && ![null, database].includes(postgresDatabase(pid));
        ticks.set(`${other ? 'pgx' : 'pg'}:${pid}`, pgUser + pgSystem);
      } catch {
        // gone
      }
    }
    return { machine: { busy: user0 + nice + system0 + irq + softirq, steal, total: total - iowait }, ticks };
  } catch {
    return null;
  }
}

export function tallyCpu(tally: CpuTally | null, before: CpuSnapshot | null, after: CpuSnapshot | null): CpuTally | null {
  if (!before || !after) return null;
  tally ??= { ticks: new Map(), machineBusy: 0, machineSteal: 0, machineTotal: 0 };
  for (const [key, value] of after.ticks) {
    const delta = value - (before.ticks.get(key) ?? value);
    const bucket = key.startsWith('pg:') ? 'postgres' : key.startsWith('pgx:') ? 'postgres-other' : key;
    tally.ticks.set(bucket, (tally.ticks.get(bucket) ?? 0) + Math.max(0, delta));
  }
  tally.machineBusy += after.machine.busy - before.machine.busy;
  tally.machineSteal += after.machine.steal - before.machine.steal;
  tally.machineTotal += after.machine.total - before.machine.total;
  return tally;
}

export interface CpuUse {
  /** CPU milliseconds per delivery. */
  server: number;
  /** Of which in the kernel (socket reads and writes, mostly). */
  serverSystem: number;
  postgres: number;
  /** Backends of other databases on the same server (only when the snapshots named the side's database): someone else's load. */
  postgresOther: number;
  loadgen: number;
  /** Context switches of the server process per delivery: waiting for I/O, and preempted. */
  switchesVoluntary: number;
  switchesInvoluntary: number;
  /** All the machine's busy CPU per delivery, whoever spent it. */
  machine: number;
  /** Share of all cores busy during the measured slices, and taken by the hypervisor. */
  machineBusy: number;
  machineSteal: number;
}

export function cpuUse(tally: CpuTally | null, deliveries: number): CpuUse | null {
  if (!tally || deliveries <= 0) return null;
  const per = (key: string) => ((tally.ticks.get(key) ?? 0) * TICK_MS) / deliveries;
  return {
    server: per('server'),
    serverSystem: per('server:sys'),
    postgres: per('postgres'),
    postgresOther: per('postgres-other'),
    loadgen: per('loadgen'),
    switchesVoluntary: (tally.ticks.get('server:cs-voluntary') ?? 0) / deliveries,
    switchesInvoluntary: (tally.ticks.get('server:cs-involuntary') ?? 0) / deliveries,
    machine: (tally.machineBusy * TICK_MS) / deliveries,
    machineBusy: tally.machineTotal ? tally.machineBusy / tally.machineTotal : 0,
    machineSteal: tally.machineTotal ? tally.machineSteal / tally.machineTotal : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Load generation

export interface PhaseResult {
  deliveries: number;
  seconds: number;
  latenciesMs: Float64Array;
  errors: number;
  errorSamples: string[];
  outcomes: Record<string, number>;
}

/** What a side's measured slices add up to. */
export interface PhaseTally {
  latencies: number[];
  seconds: number;
  /** events/s of each slice. */
  roundRates: number[];
  errors: number;
  errorSamples: string[];
  outcomes: Record<string, number>;
}

/** Adds one slice's figures to its side's tally. */
export function addPhase(tally: PhaseTally, result: PhaseResult): void {
  tally.seconds += result.seconds;
  tally.roundRates.push(result.deliveries / result.seconds);
  for (const ms of result.latenciesMs) tally.latencies.push(ms);
  tally.errors += result.errors;
  tally.errorSamples.push(...result.errorSamples.slice(0, Math.max(0, 5 - tally.errorSamples.length)));
  for (const [outcome, n] of Object.entries(result.outcomes)) tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + n;
}

export function post(agent: Agent, port: number, path: string, delivery: SignedBody): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers: delivery.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error) => resolve({ status: 0, body: error.message }));
    });
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    req.end(delivery.body);
  });
}

/** Posts every delivery, at most `concurrency` in flight, each worker taking the next one in order. */
export async function runPhase(agent: Agent, port: number, path: string, deliveries: SignedBody[], concurrency: number): Promise<PhaseResult> {
  const latenciesMs = new Float64Array(deliveries.length);
  const outcomes: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < deliveries.length; i = next++) {
      const start = process.hrtime.bigint();
      const { status, body } = await post(agent, port, path, deliveries[i]);
      latenciesMs[i] = Number(process.hrtime.bigint() - start) / 1e6;
      if (status >= 200 && status < 300) {
        const outcome = /"outcome"\s*:\s*"(\w+)"/.exec(body)?.[1] ?? 'unknown';
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } else {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(`${status} ${body.slice(0, 200)}`);
      }
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, deliveries.length) }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { deliveries: deliveries.length, seconds, latenciesMs, errors, errorSamples, outcomes };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function countRows(db: Client, table: string): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

export function expectation(label: string, actual: number, expected: number): string {
  return `${label} ${actual}/${expected}${actual === expected ? '' : ' MISMATCH'}`;
}



/** Share of the machine busy over `ms` before the run: anything much above 0 is someone else's load. */
export async function backgroundLoad(ms = 1000): Promise<number | null> {
  const read = () => {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  };
  try {
    const before = read();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = read();
    return (after.busy - before.busy) / Math.max(1, after.total - before.total);
  } catch {
    return null;
  }
}

export function printProfile(profile: ProfileSummary, deliveries: number): void {
  const busy = profile.totalMs - (profile.categories.find(([c]) => c === '(idle)')?.[1] ?? 0);
  const share = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${((1000 * ms) / deliveries).toFixed(0).padStart(4)} µs/delivery`;
  console.log(`  server CPU profile of the measured phase: ${busy.toFixed(0)} ms busy (${((1000 * busy) / deliveries).toFixed(0)} µs/delivery); ${profile.file}`);
  for (const [category, ms] of profile.categories.filter(([c]) => c !== '(idle)').slice(0, 18)) console.log(`    ${share(ms)}  ${category}`);
  console.log('  top functions (self time):');
  for (const [name, ms] of profile.functions.filter(([f]) => !f.startsWith('(idle)')).slice(0, 15)) console.log(`    ${share(ms)}  ${name}`);
}

export async function cleanup(serverUrl: string): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  for (const name of [...createdDatabases]) await dropTrackedDatabase(serverUrl, name).catch(() => undefined);
}

