/**
 * `@litestripe/nestjs/brokers`: outbox destinations on message brokers (RabbitMQ, NATS JetStream,
 * or any Nest `ClientProxy`). The only entry that imports `@nestjs/microservices` and the broker
 * clients, so hosts without them can use the rest of the package.
 *
 * @packageDocumentation
 */

export { rabbitMqOutboxBroker } from './rabbitmq.outbox-broker.js';
export type { RabbitMqOutboxBrokerOptions, RabbitMqQueueBinding } from './rabbitmq-broker-options.interface.js';
export { jetStreamOutboxBroker } from './jetstream.outbox-broker.js';
export { JetStreamClientProxy } from './jetstream.client-proxy.js';
export { JetStreamRecord } from './jetstream-record.js';
export type { JetStreamRecordOptions } from './jetstream-record.js';
export type { JetStreamClientProxyOptions, JetStreamOutboxBrokerOptions, JetStreamStreamOptions } from './jetstream-options.interface.js';
export { ClientProxyOutboxBroker } from './client-proxy.outbox-broker.js';
export type { ClientProxyOutboxBrokerOptions } from './client-proxy.outbox-broker.js';
export type { LitestripeBrokerMessage, OutboxBroker } from '../config/outbox-broker.interface.js';
