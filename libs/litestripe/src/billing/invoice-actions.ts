import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { unixSeconds } from '../common/clock.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { idOf } from '../state/stripe-payload.js';
import { BillingSubject, BillingSubjects } from './billing-subject.js';
import { InvoiceListCache } from './invoice-list.cache.js';
import { InvoiceSummary, invoiceSummary } from './invoice-summary.js';
import { PlanChangePreview, planChangePreview } from './plan-change-preview.js';
import { Proration, SubscriptionActions } from './subscription-actions.js';
import type { SubscriptionTarget } from './subscription-target.js';

/** Which page of invoices `listInvoices` reads. */
export interface InvoiceListOptions {
  /** Invoices per page, 1 to 100. @default 10 */
  limit?: number;
  /** The `id` of the last invoice of the previous page (`in_...`). */
  startingAfter?: string;
}

/** A page of a customer's invoices, newest first. */
export interface InvoicePage {
  invoices: InvoiceSummary[];
  /** More invoices follow: ask for them with the last one's id as `startingAfter`. */
  hasMore: boolean;
}

/** What `previewPlanChange` previews besides the plan. */
export interface PlanChangePreviewOptions {
  /** As for `changePlan`. @default 'create_prorations' */
  proration?: Proration;
  /** A price of the plan (id or lookup key), as for `changePlan`; by default the one of the current billing interval. */
  price?: string;
  /** Seats after the change. @default the current seats */
  quantity?: number;
}

const DEFAULT_LIMIT = 10;
const PRORATIONS: readonly string[] = ['create_prorations', 'always_invoice', 'none'] satisfies Proration[];

/**
 * Reads invoices from Stripe for a billing page: a subject's invoices (briefly cached, never
 * stored) and the preview of a plan change. Both are reads: they do not count against
 * `billingActionLimit`.
 */
@Injectable()
export class InvoiceActions {
  private readonly pages: InvoiceListCache<InvoicePage>;

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly subjects: BillingSubjects,
    private readonly subscriptions: SubscriptionActions,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {
    this.pages = new InvoiceListCache(options.clock);
  }

  /**
   * The subject's invoices, newest first, drafts left out: a draft can still change, has no number
   * and no hosted page, so it is not a bill to show a customer (Stripe finalizes a subscription's
   * draft within about an hour). A subject without a Stripe customer has none.
   */
  async list(subject: BillingSubject, options: InvoiceListOptions = {}): Promise<InvoicePage> {
    const { limit, startingAfter } = readListOptions(options);
    const customer = await this.subjects.customerOf(subject);
    if (!customer) return { invoices: [], hasMore: false };
    const page = await this.pages.get(`${customer} ${limit} ${startingAfter ?? ''}`, () => this.fetch(customer, limit, startingAfter));
    return structuredClone(page);
  }

  /**
   * Stripe's invoice preview (`invoices.createPreview`) of `changePlan(target, plan, options)` made
   * now (`proration_date` from the module clock): the proration and what the customer would be
   * billed, with no change made. The same plan and price as now previews no proration.
   */
  async previewPlanChange(target: SubscriptionTarget, plan: string, options: PlanChangePreviewOptions = {}): Promise<PlanChangePreview> {
    const proration = readProration(options.proration);
    if (options.quantity !== undefined && (!Number.isInteger(options.quantity) || options.quantity < 1)) {
      throw new BadRequestException(`Quantity must be a whole number of at least 1 (got ${options.quantity}).`);
    }
    const change = await this.subscriptions.planChange(target, plan, { price: options.price, quantity: options.quantity });
    const invoice = await this.stripe.invoices.createPreview({
      customer: idOf(change.current.customer) ?? undefined,
      subscription: change.row.id,
      subscription_details: {
        items: change.items,
        proration_behavior: proration,
        // Stripe refuses a proration date that prorates nothing.
        ...(proration === 'none' ? {} : { proration_date: unixSeconds(this.options.clock) }),
      },
    });
    return planChangePreview(invoice, { subscriptionId: change.row.id, plan, price: change.price.id });
  }

  /** Pages through Stripe's list past drafts until `limit` invoices are found or none are left. */
  private async fetch(customer: string, limit: number, startingAfter: string | undefined): Promise<InvoicePage> {
    const found: InvoiceSummary[] = [];
    let cursor = startingAfter;
    for (;;) {
      const page = await this.page(customer, limit, cursor);
      for (const [index, invoice] of page.data.entries()) {
        if (invoice.status === 'draft') continue;
        found.push(invoiceSummary(invoice));
        if (found.length === limit) return { invoices: found, hasMore: page.has_more || index < page.data.length - 1 };
      }
      if (!page.has_more || page.data.length === 0) return { invoices: found, hasMore: false };
      cursor = page.data[page.data.length - 1].id;
    }
  }

  private async page(customer: string, limit: number, startingAfter: string | undefined): Promise<Stripe.ApiList<Stripe.Invoice>> {
    try {
      return await this.stripe.invoices.list({ customer, limit, ...(startingAfter ? { starting_after: startingAfter } : {}) });
    } catch (error) {
      if (isUnknownCursor(error)) throw new BadRequestException(`startingAfter ${startingAfter} is not an invoice Stripe knows.`);
      throw error;
    }
  }
}

function readListOptions(options: InvoiceListOptions): { limit: number; startingAfter?: string } {
  const { limit = DEFAULT_LIMIT, startingAfter } = options ?? {};
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new BadRequestException(`limit must be a whole number from 1 to 100 (got ${JSON.stringify(limit)}).`);
  if (startingAfter !== undefined && (typeof startingAfter !== 'string' || !/^in_[A-Za-z0-9_]+$/.test(startingAfter))) {
    throw new BadRequestException(`startingAfter must be an invoice id ("in_..."), the last one of the previous page (got ${JSON.stringify(startingAfter)}).`);
  }
  return { limit, startingAfter };
}

function readProration(proration: Proration | undefined): Proration {
  if (proration === undefined) return 'create_prorations';
  if (!PRORATIONS.includes(proration)) throw new BadRequestException(`proration must be one of ${PRORATIONS.join(', ')} (got ${JSON.stringify(proration)}).`);
  return proration;
}

function isUnknownCursor(error: unknown): boolean {
  const e = error as { type?: string; code?: string; param?: string } | null;
  return e?.type === 'StripeInvalidRequestError' && e.code === 'resource_missing' && e.param === 'starting_after';
}
