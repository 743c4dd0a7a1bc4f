import type { Logger } from '@nestjs/common';
import { JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { millis, nanos } from '@nats-io/nats-core';
import type { ResolvedJetStreamStream } from './jetstream-options.js';

/**
 * Makes sure the stream exists (adding it when allowed) and returns its actual duplicate window in
 * milliseconds. An existing stream is left as it is: it may be shared and tuned by hand.
 */
export async function ensureStream(jsm: JetStreamManager, stream: ResolvedJetStreamStream, logger: Logger): Promise<number> {
  const existing = (await streamInfo(jsm, stream.name)) ?? (stream.create ? await addStream(jsm, stream) : null);
  if (existing === null) {
    throw new Error(`JetStream stream "${stream.name}" does not exist. Add it (subjects ${stream.subjects.join(', ')}), or set stream.create to true.`);
  }
  const windowMs = millis(existing.config.duplicate_window);
  if (windowMs < stream.duplicateWindowMs) {
    logger.warn(
      `JetStream stream "${stream.name}" drops a repeated message id for ${windowMs} ms only, less than the ${stream.duplicateWindowMs} ms asked ` +
        `(stream.duplicateWindowMs): a message the outbox republishes later is stored twice. Raise the stream's duplicate window, or ask for less.`,
    );
  }
  return windowMs;
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
    throw error;
  }
}

async function addStream(jsm: JetStreamManager, stream: ResolvedJetStreamStream): Promise<StreamInfo> {
  try {
    return await jsm.streams.add({ name: stream.name, subjects: stream.subjects, storage: StorageType.File, duplicate_window: nanos(stream.duplicateWindowMs) });
  } catch (error) {
    // Another instance added it first (with another configuration): use that one.
    const exists = await streamInfo(jsm, stream.name);
    if (exists === null) throw error;
    return exists;
  }
}
