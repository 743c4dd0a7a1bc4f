// A CommonJS consumer: Node's require() of an ES module (Node 20.19+), typed through the same exports.
import { LitestripeModule, LitestripeEvents, type LitestripeModuleOptions } from '@litestripe/nestjs';
import { FakeStripe, signedDelivery } from '@litestripe/nestjs/testing';

const options: LitestripeModuleOptions = { secretKey: 'sk_test_x', webhookUuid: '6f1c8e0a-0a51-4a4e-9d6c-9f0e4b1f2a3c', webhookSecret: ['whsec_x'] };
export const wiring = { module: LitestripeModule.forRoot(options), activated: LitestripeEvents.SubscriptionActivated, FakeStripe, signedDelivery };
