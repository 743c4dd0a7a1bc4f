import { Controller, Inject, Logger, UseInterceptors } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONSUMER_OPTIONS, ResolvedConsumerOptions } from './events-consumer.options';
import { isLitestripeBrokerMessage, LitestripeBrokerMessage, LitestripeEventNames, SubscriptionEventData } from './litestripe-broker-message';
import { MailerQueue } from './mailer-queue';
import { ProcessedMessages } from './processed-messages.service';
import { RmqAckInterceptor } from './rmq/rmq-ack.interceptor';
import { SubscriptionStatuses } from './subscription-statuses';

type Message = LitestripeBrokerMessage<SubscriptionEventData>;

/**
 * litestripe's domain events, from RabbitMQ and JetStream alike. Each handler resolves once its
 * transaction committed, and only then is the message acknowledged (by RmqAckInterceptor, or by
 * the JetStream server); a handler that throws gets its message delivered again.
 *
 * A message goes to one handler: the one named exactly, else the wildcard. So the named handlers
 * update the subscription's status too.
 */
@Controller()
@UseInterceptors(RmqAckInterceptor)
export class LitestripeEventsController {
  private readonly logger = new Logger('LitestripeEvents');

  constructor(
    private readonly processed: ProcessedMessages,
    private readonly statuses: SubscriptionStatuses,
    private readonly mailer: MailerQueue,
    @Inject(CONSUMER_OPTIONS) private readonly options: ResolvedConsumerOptions,
  ) {}

  @EventPattern(LitestripeEventNames.SubscriptionActivated)
  subscriptionActivated(@Payload() message: Message): Promise<void> {
    return this.handle(message, async (tx) => {
      await this.statuses.apply(tx, message);
      await this.mailer.queueWelcome(tx, message);
    });
  }

  @EventPattern(LitestripeEventNames.PaymentFailed)
  paymentFailed(@Payload() message: Message): Promise<void> {
    return this.handle(message, async (tx) => {
      await this.statuses.apply(tx, message);
      await this.mailer.queuePaymentFailed(tx, message);
    });
  }

  @EventPattern(LitestripeEventNames.Any)
  anyOther(@Payload() message: Message): Promise<void> {
    return this.handle(message, (tx) => this.statuses.apply(tx, message));
  }

  private async handle(message: Message, effect: (tx: EntityManager) => Promise<void>): Promise<void> {
    // Acknowledged and dropped: delivering it again would not make it readable.
    if (!isLitestripeBrokerMessage(message)) return this.logger.warn('Skipped a message that is not a version-1 litestripe envelope');
    if (this.options.handlerDelayMs > 0) await sleep(this.options.handlerDelayMs);
    const applied = await this.processed.runOnce(message, effect);
    this.logger.debug(`${applied ? 'Applied' : 'Skipped duplicate'} ${message.name} ${message.id}`);
  }
}
