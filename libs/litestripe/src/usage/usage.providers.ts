import { Provider } from '@nestjs/common';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import type { LitestripeModuleOptions } from '../config/litestripe-options.interface.js';
import { LITESTRIPE_RAW_OPTIONS } from '../config/raw-options.token.js';
import { LITESTRIPE_USAGE_OPTIONS } from '../config/usage-options.js';
import { resolveUsageOptions } from '../config/usage-options.validator.js';
import { MeterEventReporter } from './meter/meter-event.reporter.js';
import { MeterEventRepository } from './meter/meter-event.repository.js';
import { meterStripeClientProviders } from './meter/meter-stripe-client.js';
import { UsageLimitEnforcer } from './usage-limit.enforcer.js';
import { ROUTE_USAGE_LIMITS } from '../access/usage-limit-requirement.js';
import { UsageStores } from './usage-stores.js';
import { CreditBalances } from './credit-balances.js';
import { UsageRetention } from './usage-retention.js';
import { UsageService } from './usage.service.js';

/** Usage limits (counting, the guard's enforcement) and the reporting of metered use to Stripe. */
export const usageProviders: Provider[] = [
  {
    provide: LITESTRIPE_USAGE_OPTIONS,
    useFactory: (raw: LitestripeModuleOptions, entitlement: ResolvedEntitlementOptions) => resolveUsageOptions(raw.usage, entitlement.catalog),
    inject: [LITESTRIPE_RAW_OPTIONS, LITESTRIPE_ENTITLEMENT_OPTIONS],
  },
  UsageStores,
  CreditBalances,
  MeterEventRepository,
  ...meterStripeClientProviders,
  MeterEventReporter,
  UsageService,
  UsageLimitEnforcer,
  { provide: ROUTE_USAGE_LIMITS, useExisting: UsageLimitEnforcer },
  UsageRetention,
];
