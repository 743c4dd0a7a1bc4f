// The write side's public API; re-exported by the package's index.
export { BillingService } from './billing.service';
export type { CheckoutSessionRequest, CheckoutSync } from './checkout-actions';
export type { OrphanClaim } from './orphan-claims';
export type { Relink } from './account-links';
export type { Proration } from './subscription-actions';
export type { SubscriptionTarget } from './subscription-target';
