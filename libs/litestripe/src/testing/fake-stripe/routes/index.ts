import type { Route } from '../router.js';
import { activeEntitlementRoutes } from './active-entitlements.routes.js';
import { billingPortalRoutes } from './billing-portal.routes.js';
import { chargeRoutes } from './charges.routes.js';
import { checkoutSessionRoutes } from './checkout-sessions.routes.js';
import { customerRoutes } from './customers.routes.js';
import { disputeRoutes } from './disputes.routes.js';
import { eventRoutes } from './events.routes.js';
import { featureRoutes } from './features.routes.js';
import { invoiceRoutes } from './invoices.routes.js';
import { meterEventRoutes } from './meter-events.routes.js';
import { meterRoutes } from './meters.routes.js';
import { paymentIntentRoutes } from './payment-intents.routes.js';
import { priceRoutes } from './prices.routes.js';
import { productFeatureRoutes } from './product-features.routes.js';
import { productRoutes } from './products.routes.js';
import { refundRoutes } from './refunds.routes.js';
import { subscriptionRoutes } from './subscriptions.routes.js';

export const apiRoutes: Route[] = [
  ...productRoutes,
  ...productFeatureRoutes,
  ...priceRoutes,
  ...meterRoutes,
  ...meterEventRoutes,
  ...customerRoutes,
  ...subscriptionRoutes,
  ...invoiceRoutes,
  ...checkoutSessionRoutes,
  ...billingPortalRoutes,
  ...paymentIntentRoutes,
  ...chargeRoutes,
  ...refundRoutes,
  ...disputeRoutes,
  ...featureRoutes,
  ...activeEntitlementRoutes,
  ...eventRoutes,
];
