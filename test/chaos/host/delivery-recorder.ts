import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

interface DomainEventPayload {
  id: string;
}

/**
 * The chaos host's listener: records every domain event it is handed in `chaos_delivery` with a
 * plain INSERT (no unique constraint, so a second delivery of one payload id is a second row),
 * with when it was called (`called_at`: a late dispatch and a slow INSERT tell apart).
 * CHAOS_LISTENER_FAIL_RATE makes it throw, before recording, for that share of deliveries, so the
 * outbox's retries are exercised; CHAOS_LISTENER_DELAY_MS widens the window between commit and
 * `delivered_at` for the kill scenario. `suppressErrors: false`: Nest's default would swallow the
 * error and the outbox would count the delivery as done.
 */
@Injectable()
export class DeliveryRecorder {
  private readonly logger = new Logger('ChaosListener');
  private readonly instance = process.env.CHAOS_INSTANCE ?? 'host';
  private readonly failRate = Number(process.env.CHAOS_LISTENER_FAIL_RATE ?? 0);
  private readonly delayMs = Number(process.env.CHAOS_LISTENER_DELAY_MS ?? 0);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @OnEvent('litestripe.**', { suppressErrors: false })
  async record(payload: DomainEventPayload): Promise<void> {
    const calledAt = new Date();
    if (this.failRate > 0 && Math.random() < this.failRate) throw new Error('chaos: listener failed on purpose');
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * this.delayMs));
    await this.dataSource.query('INSERT INTO chaos_delivery (payload_id, instance, called_at) VALUES ($1, $2, $3)', [payload.id, this.instance, calledAt]);
    this.logger.verbose(`recorded domain event ${payload.id}`);
  }
}
