/**
 * Options of the read path: plans, entitlement rules, the guard (filled in by the entitlements
 * work; see issue 4). `LitestripeModuleOptions` extends this interface.
 */
export interface LitestripeEntitlementOptions {}
