export * from './stripe-event.builder.js';
export * from './webhook-signature.js';
export * from './fake-stripe/index.js';
