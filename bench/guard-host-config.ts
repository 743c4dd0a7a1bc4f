/**
 * What bench/guard-overhead-host.ts configures the module with, shared with the benches that talk
 * to it (guard-overhead, invalidation-latency): they sign webhook events with the same secret, post
 * them to the same UUID and name the same price.
 */
export const GUARD_HOST = {
  secretKey: 'sk_test_bench',
  webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
  webhookSecret: 'whsec_bench',
  priceId: 'price_bench_pro',
} as const;

/** The module's webhook route on the host. */
export const GUARD_HOST_WEBHOOK_PATH = `/ls/hook/${GUARD_HOST.webhookUuid}`;

/** `GET /bench-info` on the host: whether the module served a lookup from its entitlement cache (undefined: could not tell). */
export interface GuardHostInfo {
  cacheOption: 'off' | 'default';
  cacheInUse: boolean | undefined;
}
