export {
  FakeStripe,
  type FakeStripeEnv,
  type MeterEventFilter,
  type ScriptedChange,
  type ScriptedRefundOptions,
  type StripeClientConfig,
} from './fake-stripe.server.js';
export type {
  FailureOptions,
  FakeStripeOptions,
  FaultMatch,
  HangOptions,
  HeldRequest,
  PauseOptions,
  RateLimitOptions,
  RecordedRequest,
  WebhookEndpoint,
} from './fake-stripe.options.js';
export type { CompletedCheckout, CompleteCheckoutOptions } from './billing/checkout-completion.js';
export type { SettleDelayedPaymentOptions } from './billing/delayed-payment.js';
export type { DisputeOutcome, OpenDisputeOptions } from './billing/disputes.js';
export type { SeededSubscription, SeedSubscriptionsOptions } from './billing/seeding.js';
export type { SubscriptionPatch } from './billing/subscription-patch.js';
export type { SeedFeatureOptions, SeedMeterOptions, SeedPriceOptions } from './catalog-seeding.js';
export type { UsagePeriod } from './billing/meter-usage.js';
export type { MeterFormula } from './objects/meter.object.js';
export type { ClockSource } from './fake-clock.js';
export type { ResourceView } from './resource-view.js';
export type { DeliveryResult } from './webhook-delivery.js';
export type { WebhookAttempt } from './webhook-dispatcher.js';
export { FakeStripeApiError, type StripeErrorBody } from './api-error.js';
export { parseFormBody, type FormParams, type FormValue } from './form-body.parser.js';
