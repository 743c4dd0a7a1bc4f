import { Logger } from '@nestjs/common';
import type Stripe from 'stripe';

/** Why a verified event is recorded but not applied: it is not this app's to apply. */
export type OutOfScope = 'wrong_mode' | 'connected_account';

/**
 * A correct signature says the event comes from Stripe, not that it concerns this app: an event of
 * the other mode (a test endpoint's secret configured in a live app, or the reverse) or of a
 * connected account must not link customers, record orphans or emit domain events here.
 */
export function outOfScope(event: Pick<Stripe.Event, 'livemode' | 'account'>, livemode: boolean): OutOfScope | null {
  if ((event.livemode === true) !== livemode) return 'wrong_mode';
  if (event.account) return 'connected_account';
  return null;
}

/** Warns once per process and kind: a misconfigured endpoint sends every event, and one line says what to fix. */
export class OutOfScopeWarnings {
  private readonly logger = new Logger('Litestripe');
  private readonly warned = new Set<string>();

  constructor(
    private readonly livemode: boolean,
    private readonly connectedAccounts: 'ignore' | 'record',
  ) {}

  note(scope: OutOfScope, event: Pick<Stripe.Event, 'id' | 'type' | 'account'>): void {
    const kind = scope === 'wrong_mode' ? scope : `${scope}:${this.connectedAccounts}`;
    if (scope === 'connected_account' && this.connectedAccounts === 'record') {
      this.logger.debug(`Stripe event ${event.id} (${event.type}) of connected account ${event.account} recorded, not applied`);
      return;
    }
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.logger.warn(`${this.explain(scope, event)} Recorded in the event log as ${scope}, not applied, and answered 200 so Stripe stops retrying; further such events are recorded without this warning.`);
  }

  private explain(scope: OutOfScope, event: Pick<Stripe.Event, 'id' | 'type' | 'account'>): string {
    if (scope === 'connected_account') {
      return `Stripe event ${event.id} (${event.type}) comes from connected account ${event.account}: a Connect endpoint sends events here. An event of another account must not grant access to this platform's accounts; point the Connect endpoint elsewhere, or set connectedAccounts: 'record' to keep recording them quietly.`;
    }
    return this.livemode
      ? `Stripe event ${event.id} (${event.type}) is a test-mode event, but the module runs with a live key: a test endpoint's signing secret is configured in this live app (webhookSecret). Remove it, and give the test endpoint's secret to your test or staging app instead.`
      : `Stripe event ${event.id} (${event.type}) is a live-mode event, but the module runs with a test key: a live endpoint's signing secret is configured in this test app (webhookSecret), or the live endpoint's URL points here. Remove the live secret from this app.`;
  }
}
