import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { OneTimePurchase } from '../entities/one-time-purchase.entity.js';
import { StripeEventRef } from '../events/litestripe-event.payloads.js';
import { DomainEventPublisher } from '../events/domain-event.publisher.js';
import { checkoutPatch, PurchaseCheckout, PurchaseLine } from './purchase-checkout.js';
import { purchaseEvents, PurchaseWriter } from './purchase.writer.js';
import { answerTime } from './subscription-object.applier.js';

/** A Checkout Session's line items as a purchase reads them. */
export function purchaseLines(items: readonly Stripe.LineItem[]): PurchaseLine[] {
  return items.flatMap((item) => (item.price?.id ? [{ priceId: item.price.id, quantity: item.quantity ?? 1 }] : []));
}

/**
 * Writes a payment-mode Checkout Session read from the API (the success page) as its webhook will,
 * through the same writer and domain events, so the buyer has what they paid for before the
 * webhook arrives (which then finds nothing left to change).
 */
@Injectable()
export class PurchaseSessionApplier {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly writer: PurchaseWriter,
    private readonly publisher: DomainEventPublisher,
  ) {}

  /** The purchase after the write; null when the session sells nothing the catalogue sells once. */
  async apply(checkout: PurchaseCheckout, response: Stripe.Response<unknown>['lastResponse'] | undefined): Promise<OneTimePurchase | null> {
    const answeredAt = answerTime(response?.headers, this.options.clock);
    const ref = new StripeEventRef(response?.requestId || `sync_${checkout.sessionId}_${answeredAt}_${randomBytes(4).toString('hex')}`, 'api.checkout.session.retrieve', answeredAt, checkout.livemode, null);
    const { purchase, events } = await this.dataSource.transaction(async (manager) => {
      const change = await this.writer.apply(manager, checkout.paymentRef, checkout.livemode, (row) => checkoutPatch(row, checkout, this.options.catalog));
      const pending = change ? purchaseEvents(change, ref) : [];
      await this.publisher.record(manager, pending, ref.id);
      const current = change?.current ?? (await manager.getRepository(OneTimePurchase).findOneBy({ paymentRef: checkout.paymentRef }));
      return { purchase: current?.checkoutSessionId ? current : null, events: pending };
    });
    await this.publisher.publish(events, ref.id);
    return purchase;
  }
}
