// The write side's public API; re-exported by the package's index.
export { BillingService } from './billing.service.js';
export type { BillingPortalSessionOptions, CheckoutSessionRequest, CheckoutSync } from './checkout-actions.js';
export type { OrphanClaim } from './orphan-claims.js';
export type { PurchaseSessionRequest } from './purchase-actions.js';
export type { Relink } from './account-links.js';
export type { Proration } from './subscription-actions.js';
export type { SubscriptionTarget } from './subscription-target.js';
