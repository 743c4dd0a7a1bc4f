import type { Entitlement } from '../access/account-entitlement.js';
import type { Guest } from '../entities/guest.entity.js';
import type { OrphanedPayment } from '../entities/orphaned-payment.entity.js';
import type { LoggedEvent } from './admin-event-log.js';
import { html, SafeHtml } from './admin-html.js';
import type { AdminLookup, AdminOperations } from './admin-operations.js';

type OutboxView = Awaited<ReturnType<AdminOperations['outboxView']>>;
type InboxView = Awaited<ReturnType<AdminOperations['inboxView']>>;

/** Where the page is: the admin's base URL (with the host's global prefix) and the request's CSRF token. */
export interface PageContext {
  base: string;
  csrfToken: string;
}

const PAGES = [
  ['', 'Lookup'],
  ['events', 'Events'],
  ['queues', 'Outbox & inbox'],
  ['unclaimed', 'Orphans & guests'],
] as const;

export function layout(context: PageContext, title: string, body: SafeHtml): string {
  const nav = PAGES.map(([path, label]) => html`<a href="${`${context.base}/${path}`.replace(/\/$/, '')}">${label}</a>`);
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="litestripe-admin-base" content="${context.base}"><meta name="csrf-token" content="${context.csrfToken}">
<title>${title} · litestripe admin</title><link rel="stylesheet" href="${context.base}/assets/admin.css">
<script src="${context.base}/assets/admin.js" defer></script></head>
<body><header><strong>litestripe admin</strong><nav>${nav}</nav></header><main><h1>${title}</h1>${body}</main></body></html>`.value;
}

/** A button that posts `fields` (and the form's inputs) as JSON to `api/...`, and shows the answer beside it. */
function action(url: string, label: string, inputs: SafeHtml | null = null, fields: Record<string, string> = {}): SafeHtml {
  const hidden = Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return html`<form class="action" data-post="${url}">${hidden}${inputs}<button type="submit">${label}</button><output></output></form>`;
}

const accountInput = html`<input name="accountRef" placeholder="account reference" required pattern="[A-Za-z0-9_:-]{1,200}" aria-label="account reference">`;

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

export function lookupPage(context: PageContext, query: string, found: AdminLookup | null, error: string | null): string {
  const form = html`<form method="get" action="${context.base}" class="search"><input name="q" value="${query}" placeholder="account, cus_… or sub_…" aria-label="account, customer or subscription" autofocus><button type="submit">Look up</button></form>`;
  const result = found === null ? null : lookupResult(found);
  const problem = error === null ? null : html`<p class="error" role="alert">${error}</p>`;
  return layout(context, 'Lookup', html`${form}${problem}${result}${syncForms()}`);
}

function lookupResult(found: AdminLookup): SafeHtml {
  const accounts = found.accounts.map(entitlementCard);
  const rows = found.subscriptions.map(
    ({ subscription: s, plan, access }) => html`<tr data-subscription="${s.id}"><td class="id">${s.id}</td><td>${s.accountRef ?? '(none)'}</td><td class="id">${s.customerId}</td><td>${s.status}</td><td>${plan ?? '(no plan)'}</td>
<td class="${access.entitled ? 'ok' : 'no'}">${yesNo(access.entitled)}: ${access.reason}</td><td>${s.currentPeriodEnd}</td><td>${yesNo(s.cancelAtPeriodEnd)}</td>
<td>${action('api/sync', 'Sync from Stripe', null, { subscription: s.id })}</td></tr>`,
  );
  const subscriptions =
    rows.length === 0
      ? html`<p>No subscription row matches ${found.query}.</p>`
      : html`<table><thead><tr><th>Subscription</th><th>Account</th><th>Customer</th><th>Status</th><th>Plan</th><th>Access</th><th>Period ends</th><th>Cancels at period end</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
  return html`<section><h2>Entitlement</h2>${accounts.length ? accounts : html`<p>No account is linked.</p>`}</section>
<section><h2>Subscriptions</h2>${subscriptions}</section>
<section><h2>Timeline</h2>${eventTable(found.events)}</section>`;
}

function entitlementCard(entitlement: Entitlement): SafeHtml {
  return html`<dl class="card" data-account="${entitlement.accountRef}"><dt>Account</dt><dd>${entitlement.accountRef}</dd>
<dt>Entitled</dt><dd class="${entitlement.entitled ? 'ok' : 'no'}">${yesNo(entitlement.entitled)}</dd><dt>Reason</dt><dd>${entitlement.reason}</dd>
<dt>Plans</dt><dd>${entitlement.plans.join(', ') || '(none)'}</dd><dt>Features</dt><dd>${entitlement.features.join(', ') || '(none)'}</dd>
<dt>Until</dt><dd>${entitlement.until ?? '—'}</dd></dl>`;
}

function syncForms(): SafeHtml {
  const subscription = html`<input name="subscription" placeholder="sub_…" required pattern="sub_[A-Za-z0-9]+" aria-label="subscription to sync">`;
  const customer = html`<input name="customer" placeholder="cus_…" required pattern="cus_[A-Za-z0-9]+" aria-label="customer to sync">`;
  return html`<section><h2>Sync from Stripe</h2>${action('api/sync', 'Sync subscription', subscription)}${action('api/sync', 'Sync customer', customer)}</section>`;
}

function eventTable(events: LoggedEvent[]): SafeHtml {
  if (events.length === 0) return html`<p>No events.</p>`;
  const rows = events.map(
    (event) => html`<tr data-event="${event.id}" class="${event.outcome}"><td>${event.stripeCreated}</td><td class="id">${event.id}</td><td>${event.type}</td><td>${event.outcome}</td>
<td class="id">${event.subscriptionId}</td><td class="id">${event.customerId}</td><td>${event.attempts}</td><td class="error-text">${event.lastError}</td>
<td>${event.outcome === 'failed' ? action(`api/events/${event.id}/replay`, 'Replay from Stripe') : null}</td></tr>`,
  );
  return html`<table><thead><tr><th>Created</th><th>Event</th><th>Type</th><th>Outcome</th><th>Subscription</th><th>Customer</th><th>Attempts</th><th>Last error</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function eventsPage(context: PageContext, filter: 'recent' | 'failed', events: LoggedEvent[]): string {
  const tabs = html`<p class="tabs"><a href="${context.base}/events" class="${filter === 'recent' ? 'current' : ''}">Recent</a> <a href="${context.base}/events?filter=failed" class="${filter === 'failed' ? 'current' : ''}">Failed</a></p>`;
  return layout(context, filter === 'failed' ? 'Failed events' : 'Recent events', html`${tabs}${eventTable(events)}`);
}

export function queuesPage(context: PageContext, outbox: OutboxView, inbox: InboxView): string {
  const outboxSection = (title: string, { status: waiting, failed }: Omit<OutboxView, 'brokers'>, destination: string) => {
    const rows = failed.map(
      (entry) => html`<tr data-outbox="${entry.id}"><td class="id">${entry.id}</td><td>${entry.name}</td><td>${entry.attempts}</td><td>${entry.failedAt}</td><td class="error-text">${entry.lastError}</td>
<td>${action(`api/outbox/${encodeURIComponent(entry.id)}/retry`, 'Retry', null, { destination })}</td></tr>`,
    );
    return html`<section data-destination="${destination}"><h2>${title}</h2>${status(waiting)}${table(['Entry', 'Event', 'Attempts', 'Failed at', 'Last error', ''], rows, 'No failed entries.')}</section>`;
  };
  const inboxRows = inbox.failed.map(
    (event) => html`<tr data-inbox="${event.id}"><td class="id">${event.id}</td><td>${event.type}</td><td>${event.attempts}</td><td class="error-text">${event.lastError}</td>
<td>${event.retryable ? action(`api/inbox/${event.id}/retry`, 'Retry') : action(`api/events/${event.id}/replay`, 'Replay from Stripe')}</td></tr>`,
  );
  return layout(
    context,
    'Outbox & inbox',
    html`${outboxSection('Outbox (domain events)', outbox, 'in-process')}
${outbox.brokers.map((broker) => outboxSection(`Outbox → broker ${broker.destination}`, broker, broker.destination))}
<section><h2>Inbox (webhook events, ${inbox.status.webhookProcessing})</h2>${status(inbox.status)}${table(['Event', 'Type', 'Attempts', 'Last error', ''], inboxRows, 'No failed events.')}</section>`,
  );
}

function status({ depth, lagMs, failed }: { depth: number; lagMs: number; failed: number }): SafeHtml {
  return html`<p class="status">Waiting: <b>${depth}</b> · lag: <b>${Math.round(lagMs / 1000)} s</b> · failed: <b>${failed}</b></p>`;
}

function table(headings: string[], rows: SafeHtml[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p>${empty}</p>`;
  return html`<table><thead><tr>${headings.map((heading) => html`<th>${heading}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}

export function unclaimedPage(context: PageContext, { orphans, guests }: { orphans: OrphanedPayment[]; guests: Guest[] }): string {
  const orphanRows = orphans.map(
    (orphan) => html`<tr data-orphan="${orphan.id}"><td>#${orphan.id}</td><td class="id">${orphan.email ?? '(erased)'}</td><td class="id">${orphan.subscriptionId}</td><td class="id">${orphan.customerId}</td>
<td>${orphan.rejectedReference ? `rejected ${orphan.rejectedReference}` : 'no reference'}</td><td>${orphan.createdAt}</td><td>${action(`api/orphans/${orphan.id}/claim`, 'Claim', accountInput)}</td></tr>`,
  );
  const guestRows = guests.map(
    (guest) => html`<tr data-guest="${guest.id}"><td class="id">${guest.id}</td><td class="id">${guest.email ?? '(erased)'}</td><td class="id">${guest.subscriptionId}</td><td class="id">${guest.customerId}</td><td>${guest.createdAt}</td>
<td>${action(`api/guests/${guest.id}/claim`, 'Link to account', accountInput)}</td></tr>`,
  );
  return layout(
    context,
    'Orphans & guests',
    html`<p>Payments that matched no account, and guest purchases not linked yet. Emails are shown only here; the account you give is checked by the host's <code>validateClientReference</code>.</p>
<section><h2>Orphaned payments</h2>${table(['Orphan', 'Email', 'Subscription', 'Customer', 'Why', 'Recorded', ''], orphanRows, 'No open orphaned payments.')}</section>
<section><h2>Guest purchases</h2>${table(['Guest', 'Email', 'Subscription', 'Customer', 'Bought', ''], guestRows, 'No unlinked guests.')}</section>`,
  );
}
