import type Stripe from 'stripe';
import { FakeStripeApiError } from './api-error.js';
import { completeCheckoutSession } from './billing/checkout-completion.js';
import { changeSubscription, setCancelAtPeriodEnd } from './billing/subscription-change.js';
import { AUTOMATIC } from './event-recorder.js';
import type { Answer } from './fault-answers.js';
import type { FakeStripeContext } from './fake-stripe.context.js';
import type { FormParams } from './form-body.parser.js';
import { textPdf } from './invoice-pdf.js';
import type { CheckoutLine } from './objects/checkout-session.object.js';

/**
 * Minimal stand-ins for Stripe's hosted Checkout, customer portal and invoice pages, so a browser
 * (or the demo sandbox) can click through: paying completes the session exactly like
 * `completeCheckoutSession`.
 */
export function hostedPage(method: string, path: string, form: FormParams, ctx: FakeStripeContext): Answer {
  try {
    const checkout = /^\/checkout\/([^/]+)(\/pay)?\/?$/.exec(path);
    if (checkout && method === 'GET' && !checkout[2]) return checkoutPage(ctx, checkout[1]);
    if (checkout && method === 'POST' && checkout[2]) return payCheckout(ctx, checkout[1], form);
    const portal = /^\/billing_portal\/([^/]+)(?:\/subscriptions\/([^/]+))?\/?$/.exec(path);
    if (portal && method === 'GET' && !portal[2]) return portalPage(ctx, portal[1]);
    if (portal && method === 'POST' && portal[2]) return togglePortalCancellation(ctx, portal[1], portal[2], form);
    const invoice = /^\/invoices\/([^/]+)(\/pdf)?\/?$/.exec(path);
    if (invoice && method === 'GET') return invoice[2] ? invoicePdf(ctx, invoice[1]) : invoicePage(ctx, invoice[1]);
    return html(404, 'Not found', '<p>This page does not exist on the fake Stripe server.</p>');
  } catch (error) {
    const message = error instanceof FakeStripeApiError ? error.error.message : String(error);
    return html(error instanceof FakeStripeApiError ? error.status : 500, 'Error', `<p>${escapeHtml(message)}</p>`);
  }
}

function checkoutPage(ctx: FakeStripeContext, id: string): Answer {
  const session = ctx.store.checkoutSessions.get(id);
  if (!session) return html(404, 'Checkout', '<p>No such Checkout Session.</p>');
  if (session.status !== 'open') return html(410, 'Checkout', `<p>This Checkout Session is ${escapeHtml(session.status ?? '')}.</p>`);
  const lines = ctx.store.checkoutSetups.get(id)?.lines ?? [];
  const rows = lines
    .map((line) => `<li>${escapeHtml(line.price.nickname ?? line.price.lookup_key ?? line.price.id)} ${lineTerms(line)}</li>`)
    .join('');
  const email = session.customer ? '' : `<label>Email <input name="email" type="email" required value="${escapeHtml(session.customer_email ?? '')}"></label>`;
  const cancel = session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel</a></p>` : '';
  return html(
    200,
    'Checkout',
    `<ul>${rows}</ul><p>Total due today: ${money(session.amount_total ?? 0, session.currency ?? 'usd')}</p>` +
      `<form method="post" action="/checkout/${encodeURIComponent(id)}/pay">${email}<button type="submit">Pay</button></form>${cancel}`,
  );
}

function payCheckout(ctx: FakeStripeContext, id: string, form: FormParams): Answer {
  const email = typeof form.email === 'string' && form.email ? form.email : undefined;
  const { session } = completeCheckoutSession(ctx, id, { email });
  if (!session.success_url) return html(200, 'Checkout', '<p>Payment complete.</p>');
  return redirect(session.success_url.replace('{CHECKOUT_SESSION_ID}', session.id));
}

function portalPage(ctx: FakeStripeContext, id: string): Answer {
  const session = ctx.store.billingPortalSessions.get(id);
  if (!session) return html(404, 'Billing portal', '<p>No such portal session.</p>');
  const subscriptions = ctx.store.subscriptions.values().filter((sub) => sub.customer === session.customer && sub.status !== 'canceled');
  const rows = subscriptions.map((sub) => portalRow(id, sub)).join('');
  const back = session.return_url ? `<p><a href="${escapeHtml(session.return_url)}">Return</a></p>` : '';
  return html(200, 'Billing portal', `<ul>${rows || '<li>No subscriptions.</li>'}</ul>${back}`);
}

function portalRow(portalId: string, sub: Stripe.Subscription): string {
  const price = sub.items.data[0]?.price;
  const label = escapeHtml(price?.nickname ?? price?.lookup_key ?? price?.id ?? sub.id);
  const action = `/billing_portal/${encodeURIComponent(portalId)}/subscriptions/${encodeURIComponent(sub.id)}`;
  const next = sub.cancel_at_period_end ? 'false' : 'true';
  const button = sub.cancel_at_period_end ? "Don't cancel" : 'Cancel at period end';
  return `<li>${label} (${escapeHtml(sub.status)}) <form method="post" action="${action}"><input type="hidden" name="cancel_at_period_end" value="${next}"><button type="submit">${button}</button></form></li>`;
}

function togglePortalCancellation(ctx: FakeStripeContext, portalId: string, subscriptionId: string, form: FormParams): Answer {
  const session = ctx.store.billingPortalSessions.get(portalId);
  const sub = ctx.store.subscriptions.get(subscriptionId);
  if (!session || !sub || sub.customer !== session.customer) return html(404, 'Billing portal', '<p>No such subscription.</p>');
  const cancel = form.cancel_at_period_end === 'true';
  changeSubscription(ctx, sub, AUTOMATIC, (s) => setCancelAtPeriodEnd(s, cancel, ctx.clock.now()));
  return redirect(`/billing_portal/${encodeURIComponent(portalId)}`);
}

/** The hosted invoice page of a finalized invoice (a draft has none, as on Stripe). */
function invoicePage(ctx: FakeStripeContext, id: string): Answer {
  const invoice = ctx.store.invoices.get(id);
  if (!invoice || invoice.status === 'draft') return html(404, 'Invoice', '<p>No such invoice.</p>');
  const rows = invoice.lines.data.map((line) => `<li>${escapeHtml(line.description ?? '')}: ${money(line.amount, invoice.currency)}</li>`).join('');
  return html(
    200,
    `Invoice ${escapeHtml(invoice.number ?? invoice.id)}`,
    `<p>Status: ${escapeHtml(invoice.status ?? '')}</p><ul>${rows}</ul><p>Total: ${money(invoice.total, invoice.currency)}; amount due: ${money(invoice.amount_due, invoice.currency)}</p>` +
      `<p><a href="/invoices/${encodeURIComponent(invoice.id)}/pdf">Download PDF</a></p>`,
  );
}

function invoicePdf(ctx: FakeStripeContext, id: string): Answer {
  const invoice = ctx.store.invoices.get(id);
  if (!invoice || invoice.status === 'draft') return html(404, 'Invoice', '<p>No such invoice.</p>');
  const lines = [
    `Invoice ${invoice.number ?? invoice.id} (${invoice.status})`,
    ...invoice.lines.data.map((line) => `${line.description ?? ''}: ${money(line.amount, invoice.currency)}`),
    `Total: ${money(invoice.total, invoice.currency)}`,
  ];
  return { status: 200, body: textPdf(lines), headers: { 'Content-Type': 'application/pdf' } };
}

function lineTerms(line: CheckoutLine): string {
  const unit = money(line.price.unit_amount ?? 0, line.price.currency);
  return line.quantity === null ? `(metered): ${unit} per unit of usage, billed after each period` : `× ${line.quantity}: ${unit}`;
}

function money(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

function redirect(location: string): Answer {
  return { status: 303, body: '', headers: { Location: location } };
}

function html(status: number, title: string, content: string): Answer {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>Fake Stripe: ${title}</title></head><body><h1>${title}</h1>${content}</body></html>`;
  return { status, body, headers: { 'Content-Type': 'text/html; charset=utf-8' } };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
