import { Provider } from '@nestjs/common';
import { AccountLinks } from './account-links';
import { BillingActionLimiter } from './billing-action.limiter';
import { BillingService } from './billing.service';
import { CheckoutActions } from './checkout-actions';
import { CustomerRegistry } from './customer.registry';
import { OrphanClaims } from './orphan-claims';
import { SubscriptionActions } from './subscription-actions';

/** The actions that change billing, behind `BillingService`. */
export const billingProviders: Provider[] = [CustomerRegistry, BillingActionLimiter, SubscriptionActions, CheckoutActions, AccountLinks, OrphanClaims, BillingService];
