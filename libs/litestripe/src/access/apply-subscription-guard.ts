import { UseGuards } from '@nestjs/common';
import { SubscriptionGuard } from './subscription.guard.js';

const GUARD_APPLIED = 'litestripe:subscription-guard-applied';

/** Puts `SubscriptionGuard` on a controller or handler once, whichever of the module's decorators comes first. */
export function applySubscriptionGuard(target: object, key?: string | symbol, descriptor?: TypedPropertyDescriptor<any>): void {
  const where = descriptor ? descriptor.value : target;
  if (Reflect.getMetadata(GUARD_APPLIED, where)) return;
  Reflect.defineMetadata(GUARD_APPLIED, true, where);
  if (descriptor) UseGuards(SubscriptionGuard)(target, key!, descriptor);
  else UseGuards(SubscriptionGuard)(target as Function);
}
