import type Stripe from 'stripe';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { buildDispute } from '../objects/dispute.object.js';
import { previousAttributes } from './previous-attributes.js';

export interface OpenDisputeOptions {
  /** Stripe's dispute reason, e.g. `fraudulent` (default), `product_not_received`, `duplicate`. */
  reason?: string;
  /** Minor units; default the whole charge. */
  amount?: number;
}

export type DisputeOutcome = 'won' | 'lost';

/** The cardholder disputes the charge: a dispute awaiting evidence, and `charge.dispute.created`. */
export function openDispute(ctx: FakeStripeContext, charge: Stripe.Charge, options: OpenDisputeOptions): Stripe.Dispute {
  const amount = options.amount ?? charge.amount;
  if (amount < 1 || amount > charge.amount) throw new Error(`FakeStripe: a dispute of charge ${charge.id} must be for 1 to ${charge.amount}, not ${amount}`);
  const dispute = ctx.store.disputes.add(buildDispute({ charge, amount, reason: options.reason ?? 'fraudulent', created: ctx.clock.now() }));
  charge.disputed = true;
  ctx.events.record('charge.dispute.created', dispute, AUTOMATIC);
  return dispute;
}

/** The issuer decides: `charge.dispute.closed`. */
export function closeDispute(ctx: FakeStripeContext, dispute: Stripe.Dispute, outcome: DisputeOutcome): Stripe.Dispute {
  if (dispute.status === 'won' || dispute.status === 'lost') throw new Error(`FakeStripe: dispute ${dispute.id} is already closed (${dispute.status})`);
  const before = structuredClone(dispute);
  dispute.status = outcome;
  // A won dispute gives the money back, which makes the charge refundable again.
  if (outcome === 'won') dispute.is_charge_refundable = true;
  ctx.events.record('charge.dispute.closed', dispute, AUTOMATIC, previousAttributes(before, dispute));
  return dispute;
}
