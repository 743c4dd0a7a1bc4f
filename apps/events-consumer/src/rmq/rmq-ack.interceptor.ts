import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { RmqContext } from '@nestjs/microservices';
import type { Channel, Message } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { catchError, Observable, tap } from 'rxjs';
import { CONSUMER_OPTIONS, ResolvedConsumerOptions } from '../events-consumer.options';

/**
 * Manual acknowledgement for RabbitMQ (`noAck: false`): ack once the handler resolved, that is
 * after its transaction committed, so a crash before that leaves the message to be redelivered.
 * A handler that throws is nacked with requeue after `retryDelayMs`. ServerRMQ itself does neither:
 * without this, a failed message would stay unacknowledged, holding a prefetch slot, until the
 * channel closes. Other transports pass through.
 */
@Injectable()
export class RmqAckInterceptor implements NestInterceptor {
  private readonly logger = new Logger('RmqAck');

  constructor(@Inject(CONSUMER_OPTIONS) private readonly options: ResolvedConsumerOptions) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rmq = context.switchToRpc().getContext();
    if (!(rmq instanceof RmqContext)) return next.handle();
    const channel = rmq.getChannelRef() as Channel;
    const message = rmq.getMessage() as Message;
    return next.handle().pipe(
      tap({ complete: () => this.settle(() => channel.ack(message)) }),
      catchError(async (error: unknown) => {
        await sleep(this.options.retryDelayMs);
        this.settle(() => channel.nack(message, false, true));
        throw error;
      }),
    );
  }

  /** A closed channel (a reconnect, the shutdown) cannot settle: RabbitMQ requeues its messages itself. */
  private settle(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.logger.warn(`Could not settle a message, RabbitMQ will deliver it again: ${(error as Error).message}`);
    }
  }
}
