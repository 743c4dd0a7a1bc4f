import type Stripe from 'stripe';
import { Model } from './model';
import { shuffle } from './random';

/**
 * The order Stripe delivers a model's events in: subscriptions interleaved at random, each in its
 * own order, then a share of the events held back past later events of their subscription
 * (reordered) and a share delivered twice (duplicates), some right away (concurrently with the
 * original) and some much later.
 */
export interface Delivery {
  event: Stripe.Event;
  subscription: number;
  duplicate: boolean;
  /**
   * A delivery outside the model (the poisoned event): its answers are kept under this tag in the
   * report, apart from the stream's statuses and outcomes.
   */
  tag?: string;
  /** Attempts after which the sender gives up on it (as Stripe finally does); unlimited when absent. */
  maxAttempts?: number;
}

export interface Stream {
  deliveries: Delivery[];
  distinct: number;
  duplicates: number;
  /** Events first sent after an event of their subscription with a later `created`. */
  reordered: number;
}

export interface StreamOptions {
  duplicateRatio: number;
  reorderRatio: number;
  random: () => number;
}

export function planStream(model: Model, options: StreamOptions): Stream {
  const { random } = options;
  const slots: number[] = [];
  model.subscriptions.forEach((s, i) => s.events.forEach(() => slots.push(i)));
  shuffle(slots, random);
  const next = new Array<number>(model.subscriptions.length).fill(0);
  const originals: Delivery[] = slots.map((i) => ({ event: model.subscriptions[i].events[next[i]++], subscription: i, duplicate: false }));

  // Hold back a share of the events: each moves past the next event of its own subscription, and a little further.
  const held = shuffle(originals.map((_, i) => i), random).slice(0, Math.round(originals.length * options.reorderRatio));
  const keyed = originals.map((delivery, i) => ({ key: i, delivery }));
  for (const i of held) {
    const { subscription } = originals[i];
    let j = i + 1;
    while (j < originals.length && originals[j].subscription !== subscription) j++;
    if (j < originals.length) keyed[i].key = j + 0.5 + Math.floor(random() * 40);
  }
  // Redeliveries: half within the next few positions (often in flight alongside), half much later.
  const copies = shuffle(originals.map((_, i) => i), random).slice(0, Math.round(originals.length * options.duplicateRatio));
  for (const i of copies) {
    const delay = random() < 0.5 ? 1 + Math.floor(random() * 8) : 50 + Math.floor(random() * 2000);
    keyed.push({ key: keyed[i].key + delay + 0.25, delivery: { ...originals[i], duplicate: true } });
  }
  keyed.sort((a, b) => a.key - b.key);
  const deliveries = keyed.map((k) => k.delivery);
  return { deliveries, distinct: originals.length, duplicates: copies.length, reordered: countReordered(deliveries) };
}

/** Puts `delivery` into the stream at `at` (a share of its length), e.g. a poisoned event mid-stream. */
export function insertDelivery(stream: Stream, delivery: Delivery, at: number): void {
  stream.deliveries.splice(Math.floor(stream.deliveries.length * at), 0, delivery);
}

function countReordered(deliveries: Delivery[]): number {
  const latest = new Map<number, number>();
  const seen = new Set<string>();
  let reordered = 0;
  for (const { event, subscription } of deliveries) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const max = latest.get(subscription) ?? -Infinity;
    if (event.created < max) reordered++;
    latest.set(subscription, Math.max(max, event.created));
  }
  return reordered;
}
