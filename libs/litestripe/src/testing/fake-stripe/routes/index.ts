import type { Route } from '../router';
import { billingPortalRoutes } from './billing-portal.routes';
import { checkoutSessionRoutes } from './checkout-sessions.routes';
import { customerRoutes } from './customers.routes';
import { eventRoutes } from './events.routes';
import { invoiceRoutes } from './invoices.routes';
import { priceRoutes } from './prices.routes';
import { productRoutes } from './products.routes';
import { subscriptionRoutes } from './subscriptions.routes';

export const apiRoutes: Route[] = [
  ...productRoutes,
  ...priceRoutes,
  ...customerRoutes,
  ...subscriptionRoutes,
  ...invoiceRoutes,
  ...checkoutSessionRoutes,
  ...billingPortalRoutes,
  ...eventRoutes,
];
