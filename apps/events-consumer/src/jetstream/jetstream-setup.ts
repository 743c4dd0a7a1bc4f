import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, JetStreamManager, StorageType } from '@nats-io/jetstream';

export interface StreamSpec {
  name: string;
  subjects: string[];
}

export interface DurableSpec {
  stream: string;
  durable: string;
  /** Messages handed out and not yet acknowledged. */
  maxAckPending: number;
}

/** JetStream's durations are nanoseconds. */
const nanos = (ms: number) => ms * 1_000_000;
/** JetStream drops a second publish of one `Nats-Msg-Id` within this window. */
const DUPLICATE_WINDOW_MS = 5 * 60_000;
/** A message not acknowledged by then (the consumer hung or died) is delivered again. */
const ACK_WAIT_MS = 30_000;

/**
 * Creates the stream when it is missing, so the consumer can start before the publisher ever ran.
 * An existing stream is left as it is: its owner is the publisher.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  try {
    await jsm.streams.info(spec.name);
    return;
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
  }
  try {
    await jsm.streams.add({ name: spec.name, subjects: spec.subjects, storage: StorageType.File, duplicate_window: nanos(DUPLICATE_WINDOW_MS) });
  } catch (error) {
    // The publisher may have created it meanwhile; if not, the add's error says why.
    await jsm.streams.info(spec.name).catch(() => Promise.reject(error));
  }
}

/**
 * Creates (or updates to this configuration) the durable pull consumer. Durable: its position
 * survives restarts, and several instances reading it share the messages.
 */
export async function ensureDurable(jsm: JetStreamManager, spec: DurableSpec): Promise<void> {
  await jsm.consumers.add(spec.stream, {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ACK_WAIT_MS),
    max_ack_pending: spec.maxAckPending,
  });
}
