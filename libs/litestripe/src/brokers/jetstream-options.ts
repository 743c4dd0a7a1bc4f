import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_PUBLISH_TIMEOUT_MS, fail, milliseconds, optionsObject, plainObject, stringList } from './broker-options.validation.js';
import type { JetStreamClientProxyOptions, JetStreamStreamOptions } from './jetstream-options.interface.js';

const KNOWN = ['servers', 'stream', 'publishTimeoutMs', 'connectTimeoutMs', 'connectionOptions'];
const STREAM_KNOWN = ['name', 'subjects', 'duplicateWindowMs', 'create'];
/** What NATS accepts in a stream name: no whitespace, '.', '*', '>' or path separators. */
const STREAM_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const SUBJECT = /^[^\s]+$/;

export const JETSTREAM_DEFAULTS = { name: 'nats', stream: 'LITESTRIPE', subjects: ['litestripe.>'], duplicateWindowMs: 5 * 60_000 } as const;

export type ResolvedJetStreamStream = Required<JetStreamStreamOptions>;
export type ResolvedJetStreamOptions = Required<Omit<JetStreamClientProxyOptions, 'servers' | 'stream'>> & {
  servers: string[];
  stream: ResolvedJetStreamStream;
};

/** Checks the options of the JetStream client (`owner` names the caller in messages) and fills in defaults. */
export function resolveJetStreamOptions(raw: JetStreamClientProxyOptions, owner: string): ResolvedJetStreamOptions {
  const given = optionsObject(raw, owner, KNOWN);
  if (given.servers === undefined) fail(`${owner}.servers`, 'is required', "Give the NATS servers, e.g. servers: ['nats://nats:4222'].");
  return {
    servers: stringList(given.servers, `${owner}.servers`, "Give the NATS servers, e.g. servers: ['nats://nats:4222']."),
    stream: stream(given.stream, `${owner}.stream`),
    publishTimeoutMs: milliseconds(given.publishTimeoutMs, DEFAULT_PUBLISH_TIMEOUT_MS, `${owner}.publishTimeoutMs`),
    connectTimeoutMs: milliseconds(given.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, `${owner}.connectTimeoutMs`),
    connectionOptions: connectionOptions(given.connectionOptions, `${owner}.connectionOptions`),
  };
}

function stream(value: unknown, option: string): ResolvedJetStreamStream {
  const given = value === undefined ? {} : optionsObject(value, option, STREAM_KNOWN, "Write stream: { name: 'LITESTRIPE' }, or leave it out.");
  const name = given.name ?? JETSTREAM_DEFAULTS.stream;
  if (typeof name !== 'string' || !STREAM_NAME.test(name)) {
    fail(`${option}.name`, `must be 1-255 letters, digits, '-' or '_' (got ${JSON.stringify(name)})`, `Leave it out for '${JETSTREAM_DEFAULTS.stream}'.`);
  }
  const subjects = given.subjects === undefined ? [...JETSTREAM_DEFAULTS.subjects] : stringList(given.subjects, `${option}.subjects`, "Write subjects: ['litestripe.>'].");
  const badSubject = subjects.findIndex((subject) => !SUBJECT.test(subject));
  if (badSubject !== -1) fail(`${option}.subjects[${badSubject}]`, `must be a subject without whitespace (got ${JSON.stringify(subjects[badSubject])})`, "Write subjects: ['litestripe.>'].");
  const create = given.create ?? true;
  if (typeof create !== 'boolean') fail(`${option}.create`, `must be true or false (got ${JSON.stringify(create)})`, 'Leave it out to add the stream when it is missing.');
  return {
    name,
    subjects,
    duplicateWindowMs: milliseconds(given.duplicateWindowMs, JETSTREAM_DEFAULTS.duplicateWindowMs, `${option}.duplicateWindowMs`, 1000),
    create,
  };
}

function connectionOptions(value: unknown, option: string): ResolvedJetStreamOptions['connectionOptions'] {
  const given = plainObject<Record<string, unknown>>(value, option) ?? {};
  for (const key of ['servers', 'timeout']) {
    if (key in given) fail(`${option}.${key}`, 'is set by the broker', `Use ${key === 'servers' ? 'servers' : 'connectTimeoutMs'} instead.`);
  }
  return given as ResolvedJetStreamOptions['connectionOptions'];
}
