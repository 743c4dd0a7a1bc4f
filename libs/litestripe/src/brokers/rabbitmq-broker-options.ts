import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_PUBLISH_TIMEOUT_MS, brokerName, fail, milliseconds, optionsObject, plainObject, stringList } from './broker-options.validation.js';
import type { RabbitMqOutboxBrokerOptions, RabbitMqQueueBinding } from './rabbitmq-broker-options.interface.js';

const OWNER = 'rabbitMqOutboxBroker';
const KNOWN = ['name', 'urls', 'exchange', 'queues', 'publishTimeoutMs', 'connectTimeoutMs', 'socketOptions'];
const AMQP_URL = /^amqps?:\/\/[^/]/;
/** AMQP's limit on exchange and queue names. */
const AMQP_NAME = /^[A-Za-z0-9_.:-]{1,255}$/;

export const RABBITMQ_DEFAULTS = { name: 'rabbitmq', exchange: 'litestripe', routingKey: 'litestripe.#' } as const;

export type ResolvedRabbitMqOptions = Required<Omit<RabbitMqOutboxBrokerOptions, 'socketOptions' | 'queues'>> &
  Pick<RabbitMqOutboxBrokerOptions, 'socketOptions'> & { queues: Required<RabbitMqQueueBinding>[] };

/** Checks the options of `rabbitMqOutboxBroker()` and fills in defaults. */
export function resolveRabbitMqOptions(raw: RabbitMqOutboxBrokerOptions): ResolvedRabbitMqOptions {
  const given = optionsObject(raw, OWNER, KNOWN);
  return {
    name: brokerName(given.name, RABBITMQ_DEFAULTS.name, `${OWNER}.name`),
    urls: urls(given.urls),
    exchange: exchange(given.exchange),
    queues: queues(given.queues),
    publishTimeoutMs: milliseconds(given.publishTimeoutMs, DEFAULT_PUBLISH_TIMEOUT_MS, `${OWNER}.publishTimeoutMs`),
    connectTimeoutMs: milliseconds(given.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, `${OWNER}.connectTimeoutMs`),
    socketOptions: plainObject(given.socketOptions, `${OWNER}.socketOptions`),
  };
}

function urls(value: unknown): string[] {
  if (value === undefined) fail(`${OWNER}.urls`, 'is required', "Give the broker's URLs, e.g. urls: ['amqp://user:password@rabbitmq:5672'].");
  const list = stringList(value, `${OWNER}.urls`, "Give the broker's URLs, e.g. urls: ['amqp://user:password@rabbitmq:5672'].");
  const bad = list.findIndex((url) => !AMQP_URL.test(url));
  // The URL itself is not shown: it usually holds a password.
  if (bad !== -1) fail(`${OWNER}.urls[${bad}]`, 'is not an amqp:// or amqps:// URL', 'Write it as amqp://user:password@host:5672/vhost.');
  return list;
}

function exchange(value: unknown): string {
  if (value === undefined) return RABBITMQ_DEFAULTS.exchange;
  if (typeof value !== 'string' || !AMQP_NAME.test(value) || value.startsWith('amq.')) {
    fail(
      `${OWNER}.exchange`,
      `must be an exchange name of 1-255 letters, digits, '-', '_', '.' or ':', not starting with 'amq.' (got ${JSON.stringify(value)})`,
      `Leave it out for '${RABBITMQ_DEFAULTS.exchange}'.`,
    );
  }
  return value;
}

function queues(value: unknown): Required<RabbitMqQueueBinding>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${OWNER}.queues`, 'must be a list', "Write queues: [{ name: 'billing-events' }], or leave it out.");
  return value.map((entry: unknown, index) => {
    const option = `${OWNER}.queues[${index}]`;
    const binding = optionsObject(entry, option, ['name', 'routingKey'], "Write { name: 'billing-events', routingKey: 'litestripe.#' }.");
    if (typeof binding.name !== 'string' || !AMQP_NAME.test(binding.name) || binding.name.startsWith('amq.')) {
      fail(`${option}.name`, `must be a queue name of 1-255 letters, digits, '-', '_', '.' or ':', not starting with 'amq.' (got ${JSON.stringify(binding.name) ?? 'nothing'})`, "Write { name: 'billing-events' }.");
    }
    const routingKey = binding.routingKey ?? RABBITMQ_DEFAULTS.routingKey;
    if (typeof routingKey !== 'string' || routingKey === '' || routingKey.length > 255) {
      fail(`${option}.routingKey`, `must be a topic pattern such as 'litestripe.subscription.*' (got ${JSON.stringify(routingKey)})`, `Leave it out for '${RABBITMQ_DEFAULTS.routingKey}'.`);
    }
    return { name: binding.name, routingKey };
  });
}
