import type { LitestripeModuleOptions } from '@litestripe/nestjs';

/**
 * The demo's plans, by price lookup key, so the same configuration works against the sandbox's fake
 * Stripe and a real test-mode account (create prices with these lookup keys there).
 */
export const DEMO_PLANS: NonNullable<LitestripeModuleOptions['plans']> = {
  basic: { name: 'Basic', lookupKeys: ['demo_basic_monthly'], features: ['reports'], limits: { projects: 3 } },
  pro: { name: 'Pro', lookupKeys: ['demo_pro_monthly', 'demo_pro_yearly'], features: ['reports', 'export'], limits: { projects: 50 } },
};
