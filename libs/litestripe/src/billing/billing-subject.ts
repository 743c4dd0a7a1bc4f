import { BadRequestException, Injectable } from '@nestjs/common';
import { CustomerRegistry } from './customer.registry.js';
import { GuestTokenReader, GuestTokenSubject, isGuestTokenSubject } from '../access/guest-token.reader.js';
import { checkedAccountReference } from './subscription-target.js';

/** Whose billing an action reads: an account reference, `{ account }`, or a guest by its access token (`{ guestToken, clientKey? }`). */
export type BillingSubject = string | { account: string } | GuestTokenSubject;

/** Turns a billing subject into the Stripe customer its billing lives on. */
@Injectable()
export class BillingSubjects {
  constructor(
    private readonly customers: CustomerRegistry,
    private readonly guests: GuestTokenReader,
  ) {}

  /** The subject's Stripe customer; null when it has none yet (no checkout). */
  async customerOf(subject: BillingSubject): Promise<string | null> {
    if (typeof subject === 'string') return this.customers.find(checkedAccountReference(subject));
    if (subject && typeof subject === 'object' && 'account' in subject) return this.customers.find(checkedAccountReference(subject.account));
    if (isGuestTokenSubject(subject)) return (await this.guests.guestOf(subject)).customerId;
    throw new BadRequestException('Name the subject by account reference, { account } or { guestToken }.');
  }
}
