import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export const LOOPBACK = '127.0.0.1';

type Mode = 'up' | 'refuse' | 'reset' | 'closed';

/** A node:http server on loopback that tracks its sockets, so it can drop them, go down and come back. */
export class HttpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private mode: Mode = 'closed';
  private boundPort = 0;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer(handler);
    // Outlive the client's keep-alive sockets, so a reused socket is not closed under a request.
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket) => {
      if (this.mode === 'reset') {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get paused(): boolean {
    return this.mode === 'refuse' || this.mode === 'reset';
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, LOOPBACK, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    this.mode = 'up';
    return this.boundPort;
  }

  async pause(mode: 'refuse' | 'reset'): Promise<void> {
    if (this.mode !== 'up') return;
    this.mode = mode;
    if (mode === 'refuse') await this.closeServer();
    else this.destroySockets();
  }

  async resume(): Promise<void> {
    if (this.mode === 'reset') this.mode = 'up';
    if (this.mode === 'refuse') await this.listen(this.boundPort);
  }

  async close(): Promise<void> {
    const wasListening = this.mode === 'up' || this.mode === 'reset';
    this.mode = 'closed';
    if (wasListening) await this.closeServer();
    else this.destroySockets();
  }

  private async closeServer(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.destroySockets();
    await closed;
  }

  private destroySockets(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
