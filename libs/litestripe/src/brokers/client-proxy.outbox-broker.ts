import type { ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { LitestripeBrokerMessage, OutboxBroker } from '../config/outbox-broker.interface.js';
import { brokerName, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_PUBLISH_TIMEOUT_MS, fail, milliseconds, optionsObject } from './broker-options.validation.js';
import { failure } from './broker-failure.js';
import { withTimeout } from './with-timeout.js';

const OWNER = 'ClientProxyOutboxBroker';
const KNOWN = ['name', 'client', 'toRecord', 'publishTimeoutMs', 'connectTimeoutMs'];

/** Options of {@link ClientProxyOutboxBroker}. */
export interface ClientProxyOutboxBrokerOptions {
  /** The destination's name, under which the outbox keeps its delivered marks: 1-40 of a-z, 0-9, `-`, `_`, starting with a letter or digit. */
  name: string;
  /**
   * The Nest client to publish through (`ClientRMQ`, `ClientKafka`, ...). The broker owns it: it
   * connects it, closes it at shutdown, and closes it after a failed connect so that the next
   * connect starts afresh. Its `emit()` must resolve only once the broker confirmed the message
   * (for Kafka, a producer with `acks: -1`).
   */
  client: Pick<ClientProxy, 'connect' | 'emit' | 'close'>;
  /**
   * Turns a message into what is emitted under the message's name: the transport's record with
   * per-message options (`RmqRecord`, `KafkaRecord` with `key: message.subscriptionId`, ...).
   * @default the message itself
   */
  toRecord?: (message: LitestripeBrokerMessage) => unknown;
  /** How long a publish may wait for the broker's confirmation before it is reported failed. @default 10000 */
  publishTimeoutMs?: number;
  /** How long `connect()` may take. @default 5000 */
  connectTimeoutMs?: number;
}

/**
 * An outbox destination over any Nest `ClientProxy`: each message is `client.emit(message.name,
 * toRecord(message))`, and counts as delivered once that emit completes.
 */
export class ClientProxyOutboxBroker implements OutboxBroker {
  readonly name: string;
  private readonly client: ClientProxyOutboxBrokerOptions['client'];
  private readonly toRecord: (message: LitestripeBrokerMessage) => unknown;
  private readonly publishTimeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(options: ClientProxyOutboxBrokerOptions) {
    const given = optionsObject(options, OWNER, KNOWN);
    this.name = brokerName(given.name, null, `${OWNER}.name`);
    this.client = clientProxy(given.client);
    this.toRecord = recordMapper(given.toRecord);
    this.publishTimeoutMs = milliseconds(given.publishTimeoutMs, DEFAULT_PUBLISH_TIMEOUT_MS, `${OWNER}.publishTimeoutMs`);
    this.connectTimeoutMs = milliseconds(given.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, `${OWNER}.connectTimeoutMs`);
  }

  async connect(): Promise<void> {
    const ms = this.connectTimeoutMs;
    const connecting = Promise.resolve()
      .then(() => this.client.connect())
      .catch((error: unknown) => {
        throw failure(`Broker "${this.name}" could not connect`, error);
      });
    try {
      await withTimeout(connecting, ms, () => new Error(`Broker "${this.name}" did not connect within ${ms} ms.`));
    } catch (error) {
      // Nest's clients hand a pending attempt out again on the next connect(), so a hung one would
      // fail every later connect too: closing drops it. Not awaited, since closing a hung attempt
      // may wait for that attempt.
      this.closeQuietly();
      throw error;
    }
  }

  publish(message: LitestripeBrokerMessage): Promise<void> {
    const ms = this.publishTimeoutMs;
    let confirmed: Promise<unknown>;
    try {
      // emit() now, not after an await: the client sends in the order of the emit() calls, and the
      // outbox relies on that order when it pipelines.
      confirmed = lastValueFrom(this.client.emit(message.name, this.toRecord(message)), { defaultValue: undefined });
    } catch (error) {
      confirmed = Promise.reject(error);
    }
    const reported = confirmed.then(
      () => undefined,
      (error: unknown) => {
        throw failure(`Broker "${this.name}" did not confirm message ${message.id}`, error);
      },
    );
    return withTimeout(reported, ms, () => new Error(`Broker "${this.name}" did not confirm message ${message.id} within ${ms} ms.`));
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private closeQuietly(): void {
    Promise.resolve()
      .then(() => this.client.close())
      .catch(() => undefined); // The connect error is the one worth reporting.
  }
}

function clientProxy(value: unknown): ClientProxyOutboxBrokerOptions['client'] {
  const client = value as Partial<Record<'connect' | 'emit' | 'close', unknown>> | null | undefined;
  if (typeof client?.connect !== 'function' || typeof client.emit !== 'function' || typeof client.close !== 'function') {
    fail(`${OWNER}.client`, 'must be a Nest ClientProxy (with connect, emit and close)', 'Give a client such as new ClientRMQ({ ... }) or one from ClientProxyFactory.create().');
  }
  return value as ClientProxyOutboxBrokerOptions['client'];
}

function recordMapper(value: unknown): (message: LitestripeBrokerMessage) => unknown {
  if (value === undefined) return (message) => message;
  if (typeof value !== 'function') fail(`${OWNER}.toRecord`, 'must be a function of the message', 'Leave it out to emit the message itself.');
  return value as (message: LitestripeBrokerMessage) => unknown;
}
