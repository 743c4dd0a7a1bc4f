import type { NodeConnectionOptions } from '@nats-io/transport-node';

/** The JetStream stream that stores the events. */
export interface JetStreamStreamOptions {
  /** The stream's name. @default 'LITESTRIPE' */
  name?: string;
  /** The subjects it captures; they must cover every event name. @default ['litestripe.>'] */
  subjects?: string[];
  /**
   * How long the stream drops a message whose `Nats-Msg-Id` it has already stored: a message the
   * outbox republishes within this window is stored once. Keep it longer than the outbox's
   * redelivery delay.
   * @default 300000 (5 minutes)
   */
  duplicateWindowMs?: number;
  /**
   * Add the stream when it is missing (file storage, the subjects and duplicate window above). An
   * existing stream keeps its configuration; a warning is logged when its duplicate window is
   * shorter than `duplicateWindowMs`. When false, connect fails if the stream is missing.
   * @default true
   */
  create?: boolean;
}

/** Options of {@link JetStreamClientProxy}. */
export interface JetStreamClientProxyOptions {
  /** The NATS servers (`nats://host:4222`, or `host:port`), tried in order. */
  servers: string | string[];
  /** The stream the events go to. */
  stream?: JetStreamStreamOptions;
  /** How long a publish waits for the stream's acknowledgement (PubAck). @default 10000 */
  publishTimeoutMs?: number;
  /** How long opening the connection may take. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Further NATS connection options: credentials (`user`/`pass`, `token`, `authenticator`), `tls`,
   * `name`, reconnect behaviour. `servers` and `timeout` come from the options above.
   */
  connectionOptions?: Omit<NodeConnectionOptions, 'servers' | 'timeout'>;
}

/** Options of {@link jetStreamOutboxBroker}. */
export interface JetStreamOutboxBrokerOptions extends JetStreamClientProxyOptions {
  /**
   * The destination's name, under which the outbox keeps its delivered marks: 1-40 of a-z, 0-9,
   * `-`, `_`, starting with a letter or digit, and not 'in-process'. Do not rename it while entries wait.
   * @default 'nats'
   */
  name?: string;
}
