import type Stripe from 'stripe';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventSubjectsOf } from './event-subjects.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/stripe', name), 'utf8'));
const eventOf = (object: unknown) => ({ id: 'evt_1', object: 'event', type: 'x', data: { object } }) as unknown as Stripe.Event;

describe('eventSubjectsOf', () => {
  it('reads an invoice of an API version before 2025-03-31, subscription at the top (sync-engine corpus)', () => {
    expect(eventSubjectsOf(fixture('sync-engine-invoice_paid.json'))).toEqual({ subscriptionId: 'sub_JsuPyCPhXWfZar', customerId: 'cus_JsuO3bmrj0QlAw' });
  });

  it('reads an invoice of a later version, subscription under parent.subscription_details (pay corpus)', () => {
    const invoice = fixture('pay-invoice.payment_failed.json');
    expect(eventSubjectsOf(eventOf(invoice.object))).toEqual({ subscriptionId: 'sub_1234', customerId: 'cus_1234' });
  });

  it('reads a subscription as its own subject (stripe-ruby-mock corpus)', () => {
    expect(eventSubjectsOf(fixture('ruby-mock-customer.subscription.updated.json'))).toEqual({
      subscriptionId: 'sub_000000000000000000000000',
      customerId: 'cus_00000000000000',
    });
  });

  it('reads a checkout session, with or without a subscription yet', () => {
    expect(eventSubjectsOf(fixture('ruby-mock-checkout.session.completed.json'))).toEqual({ subscriptionId: null, customerId: 'cus_00000000000000' });
    expect(eventSubjectsOf(eventOf({ object: 'checkout.session', subscription: { id: 'sub_X' }, customer: { id: 'cus_X' } }))).toEqual({
      subscriptionId: 'sub_X',
      customerId: 'cus_X',
    });
  });

  it('reads a customer as its own customer, and nothing from an object without either', () => {
    expect(eventSubjectsOf(eventOf({ object: 'customer', id: 'cus_Y' }))).toEqual({ subscriptionId: null, customerId: 'cus_Y' });
    expect(eventSubjectsOf(fixture('ruby-mock-charge.succeeded.json'))).toEqual({ subscriptionId: null, customerId: null });
  });

  it('reads nothing from a payload that has no object', () => {
    expect(eventSubjectsOf({ id: 'evt_2', data: null } as unknown as Stripe.Event)).toEqual({ subscriptionId: null, customerId: null });
    expect(eventSubjectsOf({ id: 'evt_3', data: { object: ['sub_1'] } } as unknown as Stripe.Event)).toEqual({ subscriptionId: null, customerId: null });
  });
});
