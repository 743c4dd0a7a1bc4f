import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { LITESTRIPE_GUEST_OPTIONS, ResolvedGuestOptions } from '../config/guest-options.js';
import { queryRows } from '../common/query-rows.js';
import { newGuestToken } from '../common/guest-token.js';
import { daysAfter } from '../common/clock.js';

/** A token shown once: give it to the guest (a link, an email); it is not stored and cannot be shown again. */
export interface IssuedGuestToken {
  guestId: string;
  token: string;
  /** Null: valid until revoked or reissued. */
  expiresAt: Date | null;
}

/**
 * Guests' access tokens: issued once by the success page, reissued (revoking the others) by the
 * host, revoked (`GuestTokenReader` resolves them). Stored as a selector and the SHA-256 of a
 * verifier; the token itself is only ever in the return value of `issueFirst` / `reissue`.
 */
@Injectable()
export class GuestTokens {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    @Inject(LITESTRIPE_GUEST_OPTIONS) private readonly guestOptions: ResolvedGuestOptions,
  ) {}

  /** The guest's first token; null when one was issued already (a reload of the success page) or the guest is linked to an account. */
  async issueFirst(manager: EntityManager, guestId: string): Promise<IssuedGuestToken | null> {
    const claimed = await queryRows(
      manager,
      'UPDATE litestripe_guest SET "token_issued_at" = $2 WHERE "id" = $1 AND "token_issued_at" IS NULL AND "linked_account_ref" IS NULL RETURNING "id"',
      [guestId, this.options.clock.now()],
    );
    return claimed.length ? this.insert(manager, guestId, this.guestOptions.tokenTtlDays) : null;
  }

  /**
   * A new token for the guest; every earlier one is revoked. How a host recovers a lost token, once
   * it has checked the guest's email itself. Refused (409) once the guest is linked to an account.
   */
  async reissue(guestId: string, { expiresInDays }: { expiresInDays?: number | null } = {}): Promise<IssuedGuestToken> {
    if (expiresInDays !== undefined && expiresInDays !== null && !(typeof expiresInDays === 'number' && Number.isFinite(expiresInDays) && expiresInDays > 0)) {
      throw new BadRequestException(`expiresInDays must be a number of days > 0, or null (got ${JSON.stringify(expiresInDays)}).`);
    }
    return this.dataSource.transaction(async (manager) => {
      const rows = await queryRows<{ linked_account_ref: string | null }>(manager, 'SELECT "linked_account_ref" FROM litestripe_guest WHERE "id" = $1 AND "livemode" = $2 FOR UPDATE', [guestId, this.options.livemode]);
      if (!rows.length) throw new NotFoundException(`No guest ${JSON.stringify(guestId)} in ${this.options.livemode ? 'live' : 'test'} mode.`);
      if (rows[0].linked_account_ref) throw new ConflictException(`Guest ${guestId} is linked to account ${rows[0].linked_account_ref}; it signs in now, it needs no token.`);
      await this.revokeIn(manager, guestId);
      await queryRows(manager, 'UPDATE litestripe_guest SET "token_issued_at" = COALESCE("token_issued_at", $2) WHERE "id" = $1', [guestId, this.options.clock.now()]);
      return this.insert(manager, guestId, expiresInDays === undefined ? this.guestOptions.tokenTtlDays : expiresInDays);
    });
  }

  /** Revokes every token of the guest; returns how many were not revoked yet. */
  revokeAll(guestId: string): Promise<number> {
    return this.revokeIn(this.dataSource, guestId);
  }

  private async insert(manager: EntityManager, guestId: string, ttlDays: number | null): Promise<IssuedGuestToken> {
    const issued = newGuestToken();
    const expiresAt = ttlDays === null ? null : daysAfter(this.options.clock, ttlDays);
    await queryRows(manager, 'INSERT INTO litestripe_guest_token ("selector", "guest_id", "verifier_hash", "expires_at") VALUES ($1, $2, $3, $4)', [issued.selector, guestId, issued.verifierHash, expiresAt]);
    return { guestId, token: issued.token, expiresAt };
  }

  private async revokeIn(runner: EntityManager | DataSource, guestId: string): Promise<number> {
    const revoked = await queryRows(runner, 'UPDATE litestripe_guest_token SET "revoked_at" = $2 WHERE "guest_id" = $1 AND "revoked_at" IS NULL RETURNING "selector"', [guestId, this.options.clock.now()]);
    return revoked.length;
  }
}
