import type { Route } from '../router.js';
import { billingPortalRoutes } from './billing-portal.routes.js';
import { checkoutSessionRoutes } from './checkout-sessions.routes.js';
import { customerRoutes } from './customers.routes.js';
import { eventRoutes } from './events.routes.js';
import { invoiceRoutes } from './invoices.routes.js';
import { meterEventRoutes } from './meter-events.routes.js';
import { meterRoutes } from './meters.routes.js';
import { priceRoutes } from './prices.routes.js';
import { productRoutes } from './products.routes.js';
import { subscriptionRoutes } from './subscriptions.routes.js';

export const apiRoutes: Route[] = [
  ...productRoutes,
  ...priceRoutes,
  ...meterRoutes,
  ...meterEventRoutes,
  ...customerRoutes,
  ...subscriptionRoutes,
  ...invoiceRoutes,
  ...checkoutSessionRoutes,
  ...billingPortalRoutes,
  ...eventRoutes,
];
