import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { Guest } from '../entities/guest.entity.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { domainEventId, GuestLinkedEvent } from '../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../events/litestripe-events.js';
import { AccountLinks } from './account-links.js';
import { checkedAccountReference } from './subscription-target.js';
import { SubscriptionRowsReader } from '../access/subscription-rows.reader.js';
import { AccountReferenceResolver } from '../state/account-reference.resolver.js';
import { GUEST_ID_PATTERN, guestReference } from '../common/guest-reference.js';
import { queryRows } from '../common/query-rows.js';
import { GuestRecords } from '../guests/guest.records.js';
import { GuestTokenReader } from '../access/guest-token.reader.js';

/** The outcome of linking a guest to an account. */
export interface GuestLink {
  guest: Guest;
  subscription: StripeSubscription;
  /** True when the guest was already linked to this account: nothing was changed. */
  alreadyLinked: boolean;
}

/** One verified email of an account, for `linkGuestsByEmail`. */
export interface VerifiedEmail {
  email: string;
  accountRef: string;
}

/** What `linkGuestsByEmail` did for one guest (or for an email that matched none). */
export interface GuestEmailLink {
  email: string;
  accountRef: string;
  /** Null when no unlinked guest paid with this email. */
  guestId: string | null;
  outcome: 'linked' | 'already_linked' | 'no_guest' | 'refused';
  /** Why it was refused (a link conflict, the host's `validateClientReference`). */
  reason?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * Links guests to accounts: by the guest's token presented while signed in, or in bulk by emails
 * the host has verified (the guest's checkout email). Both go through the claim protocol of orphan
 * claims (`AccountLinks`): checked by `validateClientReference` (source `guest_link`), the account
 * written into the subscription's Stripe metadata, `deactivated` for `guest:<id>` and `activated`
 * for the account, and `litestripe.guest.linked`. The guest's token stops working; its email is
 * erased on the orphan schedule from then on.
 */
@Injectable()
export class GuestLinks {
  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly tokens: GuestTokenReader,
    private readonly records: GuestRecords,
    private readonly links: AccountLinks,
    private readonly references: AccountReferenceResolver,
    private readonly reader: SubscriptionRowsReader,
  ) {}

  /** Links the guest whose token is presented to the signed-in account. `client` counts a bad token against that client. */
  async linkByToken(token: unknown, accountRef: string, client: string | null = null): Promise<GuestLink> {
    const account = checkedAccountReference(accountRef);
    const holder = await this.tokens.resolve(token, client, { linked: true });
    return this.link(holder.guestId, account, 'token');
  }

  /** An operator's claim of a guest purchase for an account (the admin page): the same checks and events as a link by token. */
  linkById(guestId: string, accountRef: string): Promise<GuestLink> {
    if (typeof guestId !== 'string' || !GUEST_ID_PATTERN.test(guestId)) throw new BadRequestException(`${JSON.stringify(guestId)} is not a guest id (22 characters of A-Z, a-z, 0-9, - and _).`);
    return this.link(guestId, checkedAccountReference(accountRef), 'operator');
  }

  /**
   * For each verified email, links every guest not linked yet that paid with it (case aside) to
   * its account. Give only emails your app has verified: whoever owns the email gets the
   * subscription. One failure does not stop the others; each outcome is reported.
   */
  async linkByEmails(verified: readonly VerifiedEmail[]): Promise<GuestEmailLink[]> {
    if (!Array.isArray(verified)) throw new BadRequestException('Give an array of { email, accountRef }.');
    verified.forEach(({ email, accountRef }, index) => {
      if (typeof email !== 'string' || !EMAIL.test(email)) throw new BadRequestException(`Entry ${index}: ${JSON.stringify(email)} is not an email address.`);
      checkedAccountReference(accountRef);
    });
    const guests = await this.records.byEmails(verified.map(({ email }) => email), { unlinkedOnly: true });
    const outcomes: GuestEmailLink[] = [];
    for (const { email, accountRef } of verified) {
      const matching = guests.filter((guest) => guest.email?.toLowerCase() === email.toLowerCase());
      if (matching.length === 0) outcomes.push({ email, accountRef, guestId: null, outcome: 'no_guest' });
      for (const guest of matching) {
        try {
          const link = await this.link(guest.id, accountRef, 'email');
          outcomes.push({ email, accountRef, guestId: guest.id, outcome: link.alreadyLinked ? 'already_linked' : 'linked' });
        } catch (error) {
          if (!(error instanceof ConflictException || error instanceof UnprocessableEntityException || error instanceof NotFoundException)) throw error;
          outcomes.push({ email, accountRef, guestId: guest.id, outcome: 'refused', reason: error.message });
        }
      }
    }
    return outcomes;
  }

  private async link(guestId: string, account: string, via: GuestLinkedEvent['via']): Promise<GuestLink> {
    const guest = await this.records.byId(guestId);
    if (!guest) throw new NotFoundException(`No guest ${guestId} in this mode.`);
    if (guest.linkedAccountRef === account) return this.alreadyLinked(guest);
    if (guest.linkedAccountRef) throw new ConflictException(`This guest subscription is already linked to another account.`);
    const verdict = await this.references.resolve(account, {
      source: 'guest_link',
      checkoutSessionId: guest.checkoutSessionId,
      subscriptionId: guest.subscriptionId,
      customerId: guest.customerId,
      livemode: guest.livemode,
    });
    if (!verdict.accountRef) throw new UnprocessableEntityException(`validateClientReference rejected account ${account}; the guest stays unlinked.`);
    const guestRef = guestReference(guestId);
    return this.links.move<GuestLink>({
      subscriptionId: guest.subscriptionId,
      to: account,
      idempotencyKey: `litestripe-guest-link-${guestId}-${account}`,
      check: async (manager, row) => {
        const locked = await this.lockGuest(manager, guestId);
        if (locked.linkedAccountRef === account) return { done: { guest: locked, subscription: row, alreadyLinked: true } };
        if (locked.linkedAccountRef) throw new ConflictException(`This guest subscription is already linked to another account.`);
        if (row.accountRef !== null && row.accountRef !== guestRef && row.accountRef !== account) {
          throw new ConflictException(`Subscription ${row.id} of guest ${guestId} was moved to another account; nothing was linked.`);
        }
      },
      complete: async (manager, applied) => {
        await queryRows(manager, 'UPDATE litestripe_guest SET "linked_account_ref" = $2, "linked_at" = $3 WHERE "id" = $1', [guestId, account, this.options.clock.now()]);
        const name = LitestripeEvents.GuestLinked;
        const payload = new GuestLinkedEvent(domainEventId(applied.ref, name), guestId, guest.checkoutSessionId, guest.subscriptionId, account, via, applied.ref);
        const linked = await manager.getRepository(Guest).findOneByOrFail({ id: guestId });
        return { result: { guest: linked, subscription: applied.row, alreadyLinked: false }, events: [{ name, payload }] };
      },
    });
  }

  private async alreadyLinked(guest: Guest): Promise<GuestLink> {
    const subscription = await this.reader.byId(guest.subscriptionId);
    if (!subscription) throw new NotFoundException(`Subscription ${guest.subscriptionId} of guest ${guest.id} is not known here.`);
    return { guest, subscription, alreadyLinked: true };
  }

  private async lockGuest(manager: EntityManager, guestId: string): Promise<Guest> {
    await queryRows(manager, 'SELECT "id" FROM litestripe_guest WHERE "id" = $1 FOR UPDATE', [guestId]);
    return manager.getRepository(Guest).findOneByOrFail({ id: guestId });
  }
}
