import { Provider } from '@nestjs/common';
import { AccountLinks } from './account-links.js';
import { BillingActionLimiter } from './billing-action.limiter.js';
import { BillingService } from './billing.service.js';
import { CheckoutActions } from './checkout-actions.js';
import { CustomerRegistry } from './customer.registry.js';
import { OrphanClaims } from './orphan-claims.js';
import { SubscriptionActions } from './subscription-actions.js';
import { PurchaseActions } from './purchase-actions.js';
import { BillingSubjects } from './billing-subject.js';
import { GuestLinks } from './guest-links.js';
import { InvoiceActions } from './invoice-actions.js';

/** The actions that change billing, behind `BillingService`. */
export const billingProviders: Provider[] = [CustomerRegistry, BillingActionLimiter, SubscriptionActions, PurchaseActions, CheckoutActions, AccountLinks, OrphanClaims, GuestLinks, BillingSubjects, InvoiceActions, BillingService];
