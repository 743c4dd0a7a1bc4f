import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { LitestripeEvents, type SubscriptionChangedEvent } from '@litestripe/nestjs';

/** What a host does with domain events: here, it remembers the names it received, in order. */
@Injectable()
export class BillingEventsListener {
  readonly received: string[] = [];

  @OnEvent('litestripe.**')
  any(event: { name: string }) {
    this.received.push(event.name);
  }

  @OnEvent(LitestripeEvents.SubscriptionActivated)
  activated(event: SubscriptionChangedEvent) {
    console.log(`activated ${event.subscription.id} for ${event.subscription.accountRef}`);
  }
}
