import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { consumerDatabaseOptions } from './database/consumer-database.options';
import { CONSUMER_OPTIONS, ResolvedConsumerOptions } from './events-consumer.options';
import { LitestripeEventsController } from './litestripe-events.controller';
import { MailerQueue } from './mailer-queue';
import { ProcessedMessages } from './processed-messages.service';
import { RmqAckInterceptor } from './rmq/rmq-ack.interceptor';
import { SubscriptionStatuses } from './subscription-statuses';

@Module({})
export class EventsConsumerModule {
  static forRoot(options: ResolvedConsumerOptions): DynamicModule {
    return {
      module: EventsConsumerModule,
      imports: [TypeOrmModule.forRoot(consumerDatabaseOptions(options.databaseUrl))],
      controllers: [LitestripeEventsController],
      providers: [{ provide: CONSUMER_OPTIONS, useValue: options }, ProcessedMessages, SubscriptionStatuses, MailerQueue, RmqAckInterceptor],
    };
  }
}
