import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import type { OutboxBroker } from './outbox-broker.interface.js';
import type { ResolvedLitestripeOptions } from './resolved-options.js';

/** The destination name of the app's in-process event bus, beside the brokers' names. */
export const IN_PROCESS_DESTINATION = 'in-process';

/** The outbox keeps a broker's delivered marks under its name, so the name is short and plain. */
export const BROKER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const BROKER_METHODS = ['connect', 'publish', 'close'] as const;

export function validateBrokers(brokers: unknown): readonly OutboxBroker[] {
  if (brokers === undefined) return [];
  if (!Array.isArray(brokers)) {
    throw new LitestripeConfigError('brokers', 'must be a list', 'E.g. [rabbitMqOutboxBroker({ urls: [...] })] from @litestripe/nestjs/brokers, or leave it out.');
  }
  const names = new Set<string>();
  brokers.forEach((broker: Partial<OutboxBroker> | null, i) => {
    const option = `brokers[${i}]`;
    const missing = BROKER_METHODS.filter((method) => typeof broker?.[method] !== 'function');
    if (missing.length > 0) {
      throw new LitestripeConfigError(option, `has no ${missing.join(', ')} method`, 'Give an OutboxBroker: rabbitMqOutboxBroker(...) or jetStreamOutboxBroker(...) from @litestripe/nestjs/brokers, or your own with connect, publish and close.');
    }
    const name = broker!.name;
    if (typeof name !== 'string' || !BROKER_NAME.test(name) || name === IN_PROCESS_DESTINATION) {
      throw new LitestripeConfigError(`${option}.name`, `must be 1-40 of a-z, 0-9, '-' and '_', other than '${IN_PROCESS_DESTINATION}' (got ${JSON.stringify(name)})`, 'It names the broker\'s delivered marks in the outbox.');
    }
    if (names.has(name)) {
      throw new LitestripeConfigError(`${option}.name`, `repeats ${JSON.stringify(name)}`, 'Give each broker its own name (option name of its factory).');
    }
    names.add(name);
  });
  return brokers;
}

/** The brokers publish from the outbox, and durable events must go somewhere. */
export function checkEventDestinations(options: ResolvedLitestripeOptions): void {
  if (options.domainEvents !== 'durable') {
    if (options.brokers.length > 0) {
      throw new LitestripeConfigError('brokers', "need domainEvents: 'durable'", 'Brokers publish from the outbox: set domainEvents to durable (the default).');
    }
    if (!options.inProcessEvents) {
      throw new LitestripeConfigError('inProcessEvents', "can be false only with domainEvents: 'durable' and brokers", 'Leave it out: in-process delivery is how the in-process mode delivers.');
    }
  } else if (!options.inProcessEvents && options.brokers.length === 0) {
    throw new LitestripeConfigError('inProcessEvents', 'is false and no brokers are given, so domain events would go nowhere', 'Give brokers, or leave inProcessEvents out.');
  }
}
