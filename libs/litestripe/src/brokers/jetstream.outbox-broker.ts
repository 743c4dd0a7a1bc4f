import type { LitestripeBrokerMessage, OutboxBroker } from '../config/outbox-broker.interface.js';
import { brokerName, fail } from './broker-options.validation.js';
import { ClientProxyOutboxBroker } from './client-proxy.outbox-broker.js';
import type { JetStreamOutboxBrokerOptions } from './jetstream-options.interface.js';
import { JETSTREAM_DEFAULTS, resolveJetStreamOptions, type ResolvedJetStreamOptions } from './jetstream-options.js';
import { JetStreamClientProxy } from './jetstream.client-proxy.js';
import { JetStreamRecord } from './jetstream-record.js';

const OWNER = 'jetStreamOutboxBroker';

/** A JetStream destination also reports the stream's duplicate window. */
class JetStreamOutboxBroker extends ClientProxyOutboxBroker {
  constructor(
    name: string,
    private readonly jetStream: JetStreamClientProxy,
    options: ResolvedJetStreamOptions,
  ) {
    super({ name, client: jetStream, toRecord: jetStreamRecord, publishTimeoutMs: options.publishTimeoutMs, connectTimeoutMs: options.connectTimeoutMs });
  }

  /** The duplicate window asked for until connected, then the stream's own. */
  get deduplicationWindowMs(): number {
    return this.jetStream.duplicateWindowMs;
  }
}

/**
 * An outbox destination on NATS JetStream: every event is published on the subject of its name,
 * with `Nats-Msg-Id` = the event id, and counts as delivered once the stream acknowledged it.
 * The stream stores a republished id once within its duplicate window (`deduplicationWindowMs`).
 * The body is Nest's packet `{"pattern": name, "data": message}`.
 *
 * @example
 * LitestripeModule.forRoot({ ..., brokers: [jetStreamOutboxBroker({ servers: [process.env.NATS_URL!] })] })
 */
export function jetStreamOutboxBroker(options: JetStreamOutboxBrokerOptions): OutboxBroker {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(OWNER, 'must be an object', `Call ${OWNER}({ servers: ['nats://nats:4222'] }).`);
  }
  const { name, ...clientOptions } = options;
  const resolved = resolveJetStreamOptions(clientOptions, OWNER);
  return new JetStreamOutboxBroker(brokerName(name, JETSTREAM_DEFAULTS.name, `${OWNER}.name`), new JetStreamClientProxy(resolved), resolved);
}

function jetStreamRecord(message: LitestripeBrokerMessage): JetStreamRecord<LitestripeBrokerMessage> {
  return new JetStreamRecord(message, { msgID: message.id, headers: { 'Litestripe-Version': String(message.version) } });
}
