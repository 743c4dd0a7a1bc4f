import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { GuestCheckoutFacts, GuestRecords } from './guest.records.js';
import { GuestTokens } from './guest-tokens.js';

/** What the success page of a guest checkout gets. */
export interface GuestCheckout {
  guestId: string;
  /**
   * The guest's access token, on the first sync of the session only (null on a reload, or once
   * the guest is linked to an account). Show it once or send it as a link; it is stored only hashed
   * and cannot be shown again (`reissueGuestToken` replaces it).
   */
  token: string | null;
  /** Null: valid until revoked. */
  tokenExpiresAt: Date | null;
}

/** The success page's part of a guest checkout: the guest recorded, and its first token issued, in one transaction. */
@Injectable()
export class GuestCheckoutCompletion {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: GuestRecords,
    private readonly tokens: GuestTokens,
  ) {}

  async complete(facts: GuestCheckoutFacts): Promise<GuestCheckout> {
    const issued = await this.dataSource.transaction(async (manager) => {
      await this.records.record(manager, facts);
      return this.tokens.issueFirst(manager, facts.guestId);
    });
    return { guestId: facts.guestId, token: issued?.token ?? null, tokenExpiresAt: issued?.expiresAt ?? null };
  }
}
