import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Someone who subscribed without an account, through `createGuestCheckoutSession`. Their
 * subscription is linked to the reference `guest:<id>` until it is linked to an account. The email
 * is the only personal field: it is erased on the orphan schedule (`orphanEmailRetentionDays`),
 * counted from the link to an account or the end of the subscription, whichever comes first.
 */
@Entity('litestripe_guest')
export class Guest {
  /** 16 random bytes, base64url; not a secret (the access token is). */
  @PrimaryColumn('text', { name: 'id', primaryKeyConstraintName: 'litestripe_guest_pkey' })
  id: string;

  @Column('boolean', { default: false })
  livemode: boolean;

  @Index('litestripe_guest_session_key', { unique: true })
  @Column('text', { name: 'checkout_session_id' })
  checkoutSessionId: string;

  @Index('litestripe_guest_subscription_key', { unique: true })
  @Column('text', { name: 'subscription_id' })
  subscriptionId: string;

  @Column('text', { name: 'customer_id', nullable: true })
  customerId: string | null;

  /** From the checkout; null once erased. */
  @Column('text', { nullable: true })
  email: string | null;

  /** When the success page issued the first access token: it issues no second one. */
  @Column('timestamptz', { name: 'token_issued_at', nullable: true })
  tokenIssuedAt: Date | null;

  /** The account the guest was linked to (by token or by a verified email). */
  @Column('text', { name: 'linked_account_ref', nullable: true })
  linkedAccountRef: string | null;

  @Column('timestamptz', { name: 'linked_at', nullable: true })
  linkedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
