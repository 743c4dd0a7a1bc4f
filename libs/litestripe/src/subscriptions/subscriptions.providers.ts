import { Provider } from '@nestjs/common';

/** The read path: entitlement, SubscriptionService, guard (filled in by issue 4). */
export const subscriptionProviders: Provider[] = [];

/** What the module exports of the read path. */
export const subscriptionExports: Provider[] = [];
