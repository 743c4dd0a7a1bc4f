import { LitestripeModuleOptions } from './litestripe-options.interface.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { configRefusal } from './spec-helpers.js';
import { validateOptions } from './validate-options.js';
import type { OutboxBroker } from './outbox-broker.interface.js';

const VALID: LitestripeModuleOptions = {
  secretKey: 'sk_test_51UnitSecretKey0000000000',
  webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
  webhookSecret: 'whsec_unitsecretaaaaaaaaaaaaaaaaaaaaaaaaaa',
};

const broker = (name: unknown): OutboxBroker => ({ name, connect: async () => {}, publish: async () => {}, close: async () => {} }) as OutboxBroker;

function refusal(overrides: Record<string, unknown>): LitestripeConfigError {
  return configRefusal(() => validateOptions({ ...VALID, ...overrides } as LitestripeModuleOptions));
}

describe('options brokers and inProcessEvents', () => {
  it('keep the brokers given, in order, beside the in-process bus by default', () => {
    const brokers = [broker('rabbitmq'), broker('nats_2')];
    const resolved = validateOptions({ ...VALID, brokers });
    expect(resolved.brokers).toEqual(brokers);
    expect(resolved.inProcessEvents).toBe(true);
    expect(validateOptions({ ...VALID, brokers, inProcessEvents: false }).inProcessEvents).toBe(false);
  });

  it.each([
    [{ brokers: 'amqp://localhost' }, 'brokers', /must be a list/],
    [{ brokers: [null] }, 'brokers[0]', /has no connect, publish, close method/],
    [{ brokers: [{ name: 'x', connect: () => {}, publish: 1, close: () => {} }] }, 'brokers[0]', /has no publish method/],
    [{ brokers: [broker('')] }, 'brokers[0].name', /must be 1-40 of/],
    [{ brokers: [broker('Rabbit MQ')] }, 'brokers[0].name', /must be 1-40 of/],
    [{ brokers: [broker('a'.repeat(41))] }, 'brokers[0].name', /must be 1-40 of/],
    [{ brokers: [broker('in-process')] }, 'brokers[0].name', /other than 'in-process'/],
    [{ brokers: [broker('mq'), broker('mq')] }, 'brokers[1].name', /repeats "mq"/],
    [{ brokers: [broker('mq')], domainEvents: 'in-process' }, 'brokers', /need domainEvents: 'durable'/],
    [{ inProcessEvents: false }, 'inProcessEvents', /would go nowhere/],
    [{ inProcessEvents: false, domainEvents: 'in-process' }, 'inProcessEvents', /only with domainEvents: 'durable'/],
    [{ inProcessEvents: 'no', brokers: [broker('mq')] }, 'inProcessEvents', /must be true or false/],
  ])('refuses %j', (overrides, option, problem) => {
    const error = refusal(overrides);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(problem);
  });
});
