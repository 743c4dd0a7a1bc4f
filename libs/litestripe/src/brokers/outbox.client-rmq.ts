import { Logger } from '@nestjs/common';
import { ClientRMQ, type RmqOptions } from '@nestjs/microservices';
import type { ConfirmChannel } from 'amqplib';
import { reasonOf } from './broker-failure.js';
import type { RabbitMqQueueBinding } from './rabbitmq-broker-options.interface.js';

/**
 * Nest's `ClientRMQ` with what the outbox needs on top: its queues declared and bound on every
 * (re)connect, and a `connect()` that rejects when the channel setup fails. `ClientRMQ` alone then
 * waits forever (a 406 from an exchange declared with another type) and leaves the setup error
 * unhandled, because amqp-connection-manager emits it as an 'error' event nobody listens to.
 */
export class OutboxClientRmq extends ClientRMQ {
  private readonly litestripeLogger = new Logger('Litestripe');

  constructor(
    options: NonNullable<RmqOptions['options']>,
    private readonly exchangeName: string,
    private readonly bindings: readonly Required<RabbitMqQueueBinding>[],
  ) {
    super(options);
  }

  /**
   * ClientRMQ forgets its connection only after closing it, and closing waits for a pending
   * attempt (plus amqp-connection-manager's reconnect delay after it): a connect() meanwhile would
   * be handed that attempt again. This one forgets first, so the next connect() starts afresh.
   */
  override async close(): Promise<void> {
    const { client, channel } = this;
    this.handleClose();
    this.client = null;
    this.channel = null;
    this.pendingEventListeners = [];
    await channel?.close();
    await client?.close();
  }

  override createChannel(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.channel = this.client.createChannel({
        json: false,
        setup: (channel: ConfirmChannel) =>
          this.setupChannel(channel, resolve).catch((error: unknown) => {
            reject(error);
            throw error;
          }),
      });
      this.channel.on('error', (error: unknown) => {
        this.litestripeLogger.error(`RabbitMQ channel setup failed: ${reasonOf(error)}`);
      });
    });
    // ClientRMQ also stores this promise where nothing may await it again.
    ready.catch(() => undefined);
    return ready;
  }

  override async setupChannel(channel: ConfirmChannel, resolve: () => void): Promise<void> {
    // amqp-connection-manager leaves a channel's 'error' unheard: emitted with no listener, it is
    // thrown inside amqplib's frame handling and takes the whole connection down with it.
    channel.on('error', (error: unknown) => this.litestripeLogger.error(`RabbitMQ closed a channel: ${reasonOf(error)}`));
    // ClientRMQ declares the exchange too, but only after this, and a queue binds to a declared one.
    await channel.assertExchange(this.exchangeName, 'topic', { durable: true });
    for (const { name, routingKey } of this.bindings) {
      await channel.assertQueue(name, { durable: true });
      await channel.bindQueue(name, this.exchangeName, routingKey);
    }
    await super.setupChannel(channel, resolve);
  }
}
