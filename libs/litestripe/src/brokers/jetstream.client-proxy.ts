import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { jetstream, jetstreamManager, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { JetStreamClientProxyOptions } from './jetstream-options.interface.js';
import { resolveJetStreamOptions, type ResolvedJetStreamOptions } from './jetstream-options.js';
import { JetStreamRecord } from './jetstream-record.js';
import { ensureStream } from './jetstream-stream.js';

interface Connected {
  nc: NatsConnection;
  js: JetStreamClient;
}

/**
 * A Nest client that publishes events to a JetStream stream and resolves `emit()` on the
 * stream's acknowledgement (Nest's NATS client publishes on core NATS, unacknowledged). The
 * subject is the event pattern, the body Nest's packet JSON `{"pattern", "data"}`; emit a
 * {@link JetStreamRecord} to set the message id (`Nats-Msg-Id`) and headers. A PubAck marked
 * duplicate (the id was already stored) counts as success. Events only: `send()` is refused.
 */
export class JetStreamClientProxy extends ClientProxy {
  private readonly options: ResolvedJetStreamOptions;
  private readonly logger = new Logger('Litestripe');
  private connection: Promise<Connected> | null = null;
  private connected: Connected | null = null;
  private streamDuplicateWindowMs: number;

  constructor(options: JetStreamClientProxyOptions) {
    super();
    this.options = resolveJetStreamOptions(options, 'JetStreamClientProxy');
    this.streamDuplicateWindowMs = this.options.stream.duplicateWindowMs;
  }

  /** The stream's duplicate window in milliseconds: the one asked for until connected, then the stream's own. */
  get duplicateWindowMs(): number {
    return this.streamDuplicateWindowMs;
  }

  connect(): Promise<NatsConnection> {
    if (this.connection === null) {
      const attempt: Promise<Connected> = this.open().then(
        (opened) => this.adopt(opened, attempt),
        (error: unknown) => {
          if (this.connection === attempt) this.connection = null;
          throw error;
        },
      );
      this.connection = attempt;
    }
    // Every emit() awaits this same promise, so events keep their order.
    return this.connection.then(({ nc }) => nc);
  }

  async close(): Promise<void> {
    const open = this.connected;
    this.connection = null;
    this.connected = null;
    if (open && !open.nc.isClosed()) await open.nc.drain();
  }

  unwrap<T = NatsConnection>(): T {
    if (this.connected === null) throw new Error('Not initialized. Please call the "connect" method first.');
    return this.connected.nc as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new Error('JetStreamClientProxy publishes events only: use emit(). A stream acknowledges storage, it does not reply.'), isDisposed: true });
    return () => undefined;
  }

  protected dispatchEvent<T = PubAck>(packet: ReadPacket): Promise<T> {
    if (this.connected === null) return Promise.reject(new Error('JetStreamClientProxy is not connected.'));
    const record = packet.data instanceof JetStreamRecord ? packet.data : new JetStreamRecord(packet.data);
    const subject = this.normalizePattern(packet.pattern);
    const messageHeaders = headers();
    for (const [name, value] of Object.entries(record.options.headers ?? {})) messageHeaders.set(name, value);
    // js.publish writes to the socket before its first await, so publishes go out in call order.
    const acknowledged = this.connected.js.publish(subject, JSON.stringify({ ...packet, data: record.data }), {
      msgID: record.options.msgID,
      timeout: this.options.publishTimeoutMs,
      headers: messageHeaders,
    });
    return acknowledged.catch((error: unknown) => {
      // Nothing answers a subject no stream captures, which the client reports as "jetstream is not enabled".
      if ((error as Error | null)?.name === 'JetStreamNotEnabled') {
        throw new Error(`No JetStream stream captures subject "${subject}" (no responders): the stream's subjects must cover every event name.`, { cause: error });
      }
      throw error;
    }) as Promise<T>;
  }

  private async open(): Promise<Connected> {
    const { servers, connectTimeoutMs, publishTimeoutMs, connectionOptions, stream } = this.options;
    // noAsyncTraces: the client would otherwise build two errors per publish for their stack traces
    // (about a third of its CPU per message in bench/outbox-publish); the caller is the outbox's lane.
    const nc = await connect({ noAsyncTraces: true, ...connectionOptions, servers, timeout: connectTimeoutMs });
    try {
      const jsm = await jetstreamManager(nc, { timeout: publishTimeoutMs });
      this.streamDuplicateWindowMs = await ensureStream(jsm, stream, this.logger);
      return { nc, js: jetstream(nc, { timeout: publishTimeoutMs }) };
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  private async adopt(opened: Connected, attempt: Promise<Connected>): Promise<Connected> {
    if (this.connection !== attempt) {
      // close() was called while connecting: this connection is nobody's.
      await opened.nc.close();
      throw new Error('JetStreamClientProxy was closed while connecting.');
    }
    this.connected = opened;
    // Once the client gives up reconnecting, the next connect() opens a new connection.
    void opened.nc.closed().then(() => {
      if (this.connected === opened) {
        this.connected = null;
        this.connection = null;
      }
    });
    return opened;
  }
}
