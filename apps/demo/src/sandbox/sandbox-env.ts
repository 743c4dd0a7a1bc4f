import { randomBytes, randomUUID } from 'node:crypto';

/** What the sandbox needs to sign deliveries to its own endpoint. */
export interface SandboxKeys {
  webhookSecret: string;
  webhookUuid: string;
}

/** `LITESTRIPE_SANDBOX=1|0`; by default on when no Stripe key is configured. */
export function sandboxEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const flag = env.LITESTRIPE_SANDBOX?.trim().toLowerCase();
  if (flag === '1' || flag === 'true') return true;
  if (flag === '0' || flag === 'false') return false;
  return !env.STRIPE_SECRET_KEY?.trim();
}

/**
 * Fills in the Stripe settings the sandbox lacks with local, throw-away values, before the module
 * reads them through `litestripeOptionsFromEnv`. Values already set are kept. The placeholder API
 * key only ever reaches the in-process fake Stripe (sandbox/sandbox-stripe.module.ts).
 */
export function prepareSandboxEnv(env: NodeJS.ProcessEnv = process.env): SandboxKeys {
  // Keeps sandbox mode on once the placeholder key below is set (sandboxEnabled() would say no).
  env.LITESTRIPE_SANDBOX = '1';
  if (!env.STRIPE_SECRET_KEY?.trim()) env.STRIPE_SECRET_KEY = `sk_test_sandbox${randomBytes(12).toString('hex')}`;
  if (!env.STRIPE_WEBHOOK_SECRET?.trim()) env.STRIPE_WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
  if (!env.STRIPE_WEBHOOK_UUID?.trim()) env.STRIPE_WEBHOOK_UUID = randomUUID();
  return { webhookSecret: env.STRIPE_WEBHOOK_SECRET.split(',')[0].trim(), webhookUuid: env.STRIPE_WEBHOOK_UUID.trim() };
}
