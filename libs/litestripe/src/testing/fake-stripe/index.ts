export { FakeStripe, type ScriptedChange, type StripeClientConfig } from './fake-stripe.server';
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
} from './fake-stripe.options';
export type { CompletedCheckout, CompleteCheckoutOptions } from './billing/checkout-completion';
export type { SeededSubscription, SeedSubscriptionsOptions } from './billing/seeding';
export type { SubscriptionPatch } from './billing/subscription-patch';
export type { SeedPriceOptions } from './catalog-seeding';
export type { ClockSource } from './fake-clock';
export type { ResourceView } from './resource-view';
export type { DeliveryResult } from './webhook-delivery';
export type { WebhookAttempt } from './webhook-dispatcher';
export { FakeStripeApiError, type StripeErrorBody } from './api-error';
export { parseFormBody, type FormParams, type FormValue } from './form-body.parser';
