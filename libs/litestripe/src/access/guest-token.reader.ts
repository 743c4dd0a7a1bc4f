import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { DirectQuery, directQuery } from '../common/direct-query.js';
import { guestReference } from '../common/guest-reference.js';
import { parseGuestToken, verifierMatches } from '../common/guest-token.js';
import { GuestTokenProblem, GuestTokenRejectedException } from '../errors/guest-token-rejected.exception.js';
import { GuestTokenAttempts } from './guest-token-attempts.js';

/** A guest named by its access token; `clientKey` names who presented it, for `guests.tokenAttempts`. */
export interface GuestTokenSubject {
  guestToken: string;
  /** The client that presented the token (e.g. the request's IP): unusable tokens count against it. */
  clientKey?: string;
}

/** Whether a subject names a guest by its token. */
export function isGuestTokenSubject(subject: unknown): subject is GuestTokenSubject {
  return typeof subject === 'object' && subject !== null && 'guestToken' in subject;
}

/** The guest a valid token stands for. */
export interface TokenGuest {
  guestId: string;
  /** `guest:<guestId>`: what the guest's subscription rows, usage and domain events are keyed by. */
  accountRef: string;
  customerId: string | null;
  subscriptionId: string;
  /** The account the guest was linked to; only `resolve(..., { linked: true })` answers for a linked guest. */
  linkedAccountRef: string | null;
}

const BY_SELECTOR = `SELECT t."verifier_hash", t."expires_at", t."revoked_at", g."id", g."livemode", g."linked_account_ref", g."customer_id", g."subscription_id"
  FROM litestripe_guest_token t JOIN litestripe_guest g ON g."id" = t."guest_id" WHERE t."selector" = $1`;
// Compared against when the selector is unknown, so that an unknown token costs what a wrong one does.
const NO_HASH = Buffer.alloc(32);

/**
 * Resolves a guest's access token to its guest: one indexed read by the token's selector, the
 * verifier compared in constant time with its stored SHA-256.
 */
@Injectable()
export class GuestTokenReader {
  private readonly query: DirectQuery;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly attempts: GuestTokenAttempts,
  ) {
    this.query = directQuery(dataSource);
  }

  /**
   * The guest of a token, or `GuestTokenRejectedException` (401). With `client` (the guard's client
   * key, or a caller's `clientKey`), an unusable token counts against it, and past
   * `guests.tokenAttempts` the answer is `GuestTokenAttemptsException` (429) before any lookup.
   */
  async resolve(token: unknown, client: string | null = null, { linked = false }: { linked?: boolean } = {}): Promise<TokenGuest> {
    this.attempts.refuseIfBlocked(client);
    const found = await this.lookUp(token);
    if ('guestId' in found && (linked || found.linkedAccountRef === null)) return found;
    if ('guestId' in found) throw new GuestTokenRejectedException('guest_linked');
    await this.attempts.failed(client);
    throw new GuestTokenRejectedException(found.problem);
  }

  /** `resolve` for a `{ guestToken, clientKey? }` subject. */
  guestOf(subject: GuestTokenSubject): Promise<TokenGuest> {
    return this.resolve(subject.guestToken, subject.clientKey ?? null);
  }

  private async lookUp(token: unknown): Promise<TokenGuest | { problem: GuestTokenProblem }> {
    const parsed = parseGuestToken(token);
    if (!parsed) return { problem: 'guest_token_unknown' };
    const [row] = await this.query(BY_SELECTOR, [parsed.selector], 'litestripe_guest_token');
    const matches = verifierMatches(parsed.verifier, row ? (row.verifier_hash as Uint8Array) : NO_HASH);
    if (!row || !matches || row.livemode !== this.options.livemode) return { problem: 'guest_token_unknown' };
    // Only the holder of the real token learns why it no longer works.
    if (row.revoked_at) return { problem: 'guest_token_revoked' };
    if (row.expires_at && (row.expires_at as Date).getTime() <= this.options.clock.now().getTime()) return { problem: 'guest_token_expired' };
    const guestId = row.id as string;
    return {
      guestId,
      accountRef: guestReference(guestId),
      customerId: (row.customer_id as string | null) ?? null,
      subscriptionId: row.subscription_id as string,
      linkedAccountRef: (row.linked_account_ref as string | null) ?? null,
    };
  }
}
