import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A guest's access token, as stored: its selector and the SHA-256 of its verifier, never the token. */
@Entity('litestripe_guest_token')
export class GuestAccessToken {
  @PrimaryColumn('text', { name: 'selector', primaryKeyConstraintName: 'litestripe_guest_token_pkey' })
  selector: string;

  @Index('litestripe_guest_token_guest_idx')
  @Column('text', { name: 'guest_id' })
  guestId: string;

  @Column('bytea', { name: 'verifier_hash' })
  verifierHash: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Null: valid until revoked. */
  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
