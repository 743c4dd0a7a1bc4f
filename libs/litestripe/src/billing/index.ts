// The write side's public API; re-exported by the package's index.
export { BillingService } from './billing.service.js';
export type { BillingPortalSessionOptions, CheckoutSessionRequest, CheckoutSync, GuestCheckoutSessionRequest, GuestPortalSessionOptions } from './checkout-actions.js';
export type { OrphanClaim } from './orphan-claims.js';
export type { PurchaseSessionRequest } from './purchase-actions.js';
export type { Relink } from './account-links.js';
export type { Proration } from './subscription-actions.js';
export type { SubscriptionTarget } from './subscription-target.js';
export type { BillingSubject } from './billing-subject.js';
export type { InvoiceListOptions, InvoicePage, PlanChangePreviewOptions } from './invoice-actions.js';
export type { InvoiceSummary } from './invoice-summary.js';
export type { PlanChangePreview, PlanChangePreviewLine } from './plan-change-preview.js';
export { INVOICE_LIST_CACHE_TTL_MS } from './invoice-list.cache.js';
export type { GuestLink, GuestEmailLink, VerifiedEmail } from './guest-links.js';
