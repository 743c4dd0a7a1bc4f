export * from './stripe-event.builder';
export * from './webhook-signature';
export * from './fake-stripe';
