import { Inject } from '@nestjs/common';

/** Injection token of the module's rate-limited `Stripe` client. */
export const LITESTRIPE_STRIPE_CLIENT = Symbol('LITESTRIPE_STRIPE_CLIENT');

/**
 * Injects the module's `Stripe` client (rate-limited, API version pinned):
 * `constructor(@InjectStripeClient() private readonly stripe: Stripe) {}`.
 */
export const InjectStripeClient = (): PropertyDecorator & ParameterDecorator => Inject(LITESTRIPE_STRIPE_CLIENT);

/**
 * The token of the `Stripe` client, e.g. to replace it in tests:
 * `Test.createTestingModule(...).overrideProvider(getStripeClientToken()).useValue(fakeStripe)`.
 */
export const getStripeClientToken = (): symbol => LITESTRIPE_STRIPE_CLIENT;
