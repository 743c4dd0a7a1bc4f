import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, ReadPacket, Server } from '@nestjs/microservices';
import { ConsumerMessages, jetstreamManager, JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { isObservable, lastValueFrom } from 'rxjs';
import { ensureDurable, ensureStream } from './jetstream-setup';
import { JetStreamContext } from './jetstream.context';
import { matchesTopicPattern } from './topic-pattern';

export interface JetStreamServerOptions {
  servers: string | string[];
  stream: string;
  /** Subjects of the stream, used only when this server creates it. */
  streamSubjects: string[];
  durable: string;
  /** Messages handed out and not yet acknowledged. */
  maxAckPending: number;
  /** How long JetStream waits before delivering a failed message again. */
  retryDelayMs: number;
}

type NatsConnection = Awaited<ReturnType<typeof connect>>;

export const JETSTREAM_TRANSPORT = Symbol('JETSTREAM');

/**
 * A Nest transport for a durable JetStream pull consumer. It reads Nest's `{pattern, data}` packet
 * from each message, runs the `@EventPattern` handler for the pattern, and acknowledges the message
 * once the handler resolved, or naks it (delivered again after `retryDelayMs`) when it threw.
 * Messages are handled one at a time, in stream order; those pulled meanwhile (up to
 * `maxAckPending`) wait, and their 30 s ack wait runs while they do.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  override readonly transportId = JETSTREAM_TRANSPORT;
  // Nest then hands a handler's error to handleEvent instead of only logging it: the nak needs it.
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger(JetStreamServer.name);
  private connection: NatsConnection | null = null;
  private messages: ConsumerMessages | null = null;
  private consuming: Promise<void> = Promise.resolve();

  constructor(private readonly options: JetStreamServerOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      // Wait for NATS at start, as ServerRMQ waits for RabbitMQ, and never give up reconnecting:
      // by default the client stops after 10 attempts, and the consumer silently with it.
      this.connection = await connect({ servers: this.options.servers, name: this.options.durable, waitOnFirstConnect: true, maxReconnectAttempts: -1 });
      const jsm = await jetstreamManager(this.connection);
      await ensureStream(jsm, { name: this.options.stream, subjects: this.options.streamSubjects });
      await ensureDurable(jsm, { stream: this.options.stream, durable: this.options.durable, maxAckPending: this.options.maxAckPending });
      const consumer = await jsm.jetstream().consumers.get(this.options.stream, this.options.durable);
      this.messages = await consumer.consume({ max_messages: this.options.maxAckPending });
      this.consuming = this.consumeAll(this.messages);
      callback();
    } catch (error) {
      await this.connection?.close();
      callback(error);
    }
  }

  async close(): Promise<void> {
    await this.messages?.close();
    await this.consuming; // the message being handled finishes and is acknowledged
    await this.connection?.close();
    this.messages = null;
    this.connection = null;
  }

  /** The handler of an event name: the one registered under it, else the first pattern that matches it. */
  override getHandlerByPattern(pattern: string) {
    const exact = super.getHandlerByPattern(pattern);
    if (exact) return exact;
    for (const [handlerPattern, handler] of this.getHandlers()) {
      if (matchesTopicPattern(handlerPattern, pattern)) return handler;
    }
    return null;
  }

  /** Unlike Server's, waits for the handler and rejects when it failed. */
  override async handleEvent(pattern: string, packet: ReadPacket, context: JetStreamContext): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new Error(`no handler for ${pattern}`);
    const result = await handler(packet.data, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  on(): never {
    throw new Error('JetStreamServer has no events to listen to');
  }

  unwrap<T>(): T {
    if (!this.connection) throw new Error('JetStreamServer is not listening');
    return this.connection as T;
  }

  private async consumeAll(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const message of messages) await this.handleMessage(message);
    } catch (error) {
      this.logger.error(`JetStream consumer ${this.options.durable} stopped: ${describe(error)}`);
    }
  }

  private async handleMessage(message: JsMsg): Promise<void> {
    const packet = readPacket(message);
    // Not a Nest packet, or an event nothing handles: delivering it again would not change that.
    if (!packet || !this.getHandlerByPattern(packet.pattern)) {
      this.logger.warn(`Dropped ${message.subject} (stream sequence ${message.seq}): ${packet ? `no handler for ${packet.pattern}` : 'not a {pattern, data} packet'}`);
      return message.term();
    }
    try {
      await this.handleEvent(packet.pattern, packet, new JetStreamContext([message]));
      message.ack();
    } catch (error) {
      this.logger.warn(`${packet.pattern} (stream sequence ${message.seq}) failed, delivering it again in ${this.options.retryDelayMs} ms: ${describe(error)}`);
      message.nak(this.options.retryDelayMs);
    }
  }
}

function readPacket(message: JsMsg): (ReadPacket & { pattern: string }) | null {
  try {
    const packet = message.json<Partial<ReadPacket>>();
    return typeof packet?.pattern === 'string' ? { pattern: packet.pattern, data: packet.data } : null;
  } catch {
    return null;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  // Nest's RPC exception filter turns an error into { status, message }.
  return typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
}
