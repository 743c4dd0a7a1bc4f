import type Stripe from 'stripe';
import { ClientReferenceContext, LitestripeModuleOptions } from '../interfaces/litestripe-options.interface';

/** The module options after validation, with every default filled in. */
export interface ResolvedLitestripeOptions {
  secretKey: string;
  publishableKey?: string;
  webhookUuid: string;
  webhookSecrets: string[];
  webhookToleranceSeconds: number;
  maxWebhookBodyBytes: number;
  accountReferenceMetadataKey: string;
  metadataKeys?: string[];
  validateClientReference?: (reference: string, context: ClientReferenceContext) => boolean | Promise<boolean>;
  maxRequestsPerMinute: number;
  rateLimitCacheKey: string;
  stripe: Partial<Stripe.StripeConfig>;
}

export const DEFAULTS = {
  webhookToleranceSeconds: 300,
  maxWebhookBodyBytes: 1024 * 1024,
  accountReferenceMetadataKey: 'client_reference_id',
  maxRequestsPerMinute: 75,
  rateLimitCacheKey: 'litestripe_stripe_api_rate_limit',
} as const satisfies Partial<LitestripeModuleOptions>;

/** Injection token of {@link ResolvedLitestripeOptions}. */
export const LITESTRIPE_OPTIONS = Symbol('LITESTRIPE_OPTIONS');
