import { Provider } from '@nestjs/common';
import { LITESTRIPE_ENTITLEMENT_OPTIONS } from './entitlement-options';
import { resolveEntitlementOptions } from './entitlement-options.validator';
import type { LitestripeModuleOptions } from './litestripe-options.interface';
import { LITESTRIPE_RAW_OPTIONS } from './raw-options.token';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from './resolved-options';
import { validateOptions } from './validate-options';

/** Validates the options once, at start-up, and fills in defaults: the base options, then the read path's. */
export const optionsProviders: Provider[] = [
  { provide: LITESTRIPE_OPTIONS, useFactory: validateOptions, inject: [LITESTRIPE_RAW_OPTIONS] },
  {
    provide: LITESTRIPE_ENTITLEMENT_OPTIONS,
    useFactory: (raw: LitestripeModuleOptions, base: ResolvedLitestripeOptions) => resolveEntitlementOptions(raw, base),
    inject: [LITESTRIPE_RAW_OPTIONS, LITESTRIPE_OPTIONS],
  },
];
