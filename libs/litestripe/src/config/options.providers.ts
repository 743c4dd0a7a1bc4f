import { Provider } from '@nestjs/common';
import { LITESTRIPE_ENTITLEMENT_OPTIONS } from './entitlement-options.js';
import { resolveEntitlementOptions } from './entitlement-options.validator.js';
import type { LitestripeModuleOptions } from './litestripe-options.interface.js';
import { LITESTRIPE_RAW_OPTIONS } from './raw-options.token.js';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from './resolved-options.js';
import { validateOptions } from './validate-options.js';
import { LITESTRIPE_GUEST_OPTIONS } from './guest-options.js';
import { resolveGuestOptions } from './guest-options.validator.js';

/** Validates the options once, at start-up, and fills in defaults: the base options, then the read path's and the guests'. */
export const optionsProviders: Provider[] = [
  { provide: LITESTRIPE_OPTIONS, useFactory: validateOptions, inject: [LITESTRIPE_RAW_OPTIONS] },
  {
    provide: LITESTRIPE_ENTITLEMENT_OPTIONS,
    useFactory: (raw: LitestripeModuleOptions, base: ResolvedLitestripeOptions) => resolveEntitlementOptions(raw, base),
    inject: [LITESTRIPE_RAW_OPTIONS, LITESTRIPE_OPTIONS],
  },
  { provide: LITESTRIPE_GUEST_OPTIONS, useFactory: (raw: LitestripeModuleOptions) => resolveGuestOptions(raw.guests), inject: [LITESTRIPE_RAW_OPTIONS] },
];
