import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer.js';

/** The lookup keys of a Stripe customer's active entitlements (Stripe's features), as Stripe last said. Ids only. */
@Entity('litestripe_customer_feature')
export class CustomerFeatures {
  @PrimaryColumn('text', { name: 'customer_id', primaryKeyConstraintName: 'litestripe_customer_feature_pkey' })
  customerId: string;

  @Column('boolean', { default: false })
  livemode: boolean;

  @Column('text', { name: 'lookup_keys', array: true, default: () => "'{}'" })
  lookupKeys: string[];

  /** Stripe's `created` of the event (or the listing's time) the keys come from: an older one never overwrites them. */
  @Column('bigint', { name: 'event_created', transformer: bigintNumber })
  eventCreated: number;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
