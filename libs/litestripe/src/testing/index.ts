export * from './stripe-event.builder.js';
export * from './webhook-signature.js';
export * from './fake-stripe/index.js';
export { withFakeStripe, type ProviderOverrides } from './fake-stripe-override.js';
export {
  resetLitestripe,
  truncateLitestripeTables,
  resetEntitlementCache,
  entitlementCacheCaughtUp,
  subscriptionRowsChanged,
  type ResetLitestripeOptions,
} from './app-state.js';
