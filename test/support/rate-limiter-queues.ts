import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';

/** Calls waiting for a slot of the module's Stripe rate limiter in this process, per lane. */
export interface WaitingCalls {
  default: number;
  refresh: number;
}

/**
 * A white-box probe, for what only the rate limiter can tell: how many Stripe calls wait in each
 * lane (a call waiting is otherwise just a pending promise). The limiter is not part of the
 * package's API, so this finds it in Nest's container by its class name rather than importing it.
 */
export function rateLimiterQueues(app: INestApplicationContext): { waiting(): WaitingCalls } {
  for (const module of app.get(ModulesContainer).values()) {
    for (const [token, wrapper] of module.providers) {
      if (typeof token === 'function' && token.name === 'StripeRateLimiter') return wrapper.instance as { waiting(): WaitingCalls };
    }
  }
  throw new Error('The app has no StripeRateLimiter provider: update test/support/rate-limiter-queues.ts to where the module keeps its rate limiter.');
}
