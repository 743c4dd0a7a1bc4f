import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const PROXY_SCRIPT = join(__dirname, '..', '..', '..', 'dist', 'chaos', 'test', 'chaos', 'host', 'db-proxy.js');

/** The database proxy (host/db-proxy.ts) as a child process, taken down and brought back over IPC. */
export class ProxyProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<ProxyProcess> {
    const child = spawn(process.execPath, [PROXY_SCRIPT], {
      env: { ...process.env, TARGET_HOST: targetHost, TARGET_PORT: String(targetPort) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const { port } = await reply(child, 'started');
    return new ProxyProcess(child, port);
  }

  async down(): Promise<void> {
    this.child.send({ cmd: 'stop' });
    await reply(this.child, 'stopped');
  }

  async up(): Promise<void> {
    this.child.send({ cmd: 'start' });
    await reply(this.child, 'started');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

function reply(child: ChildProcess, type: string, timeoutMs = 10_000): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`The database proxy did not answer ${type} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onMessage = (message: { type?: string; port: number }) => {
      if (message?.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
  });
}
