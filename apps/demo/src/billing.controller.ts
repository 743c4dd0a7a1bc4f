import { BadRequestException, Body, Controller, Get, ParseIntPipe, Post, Query, Redirect, Req, UnauthorizedException } from '@nestjs/common';
import { BillingService, SkipSubscriptionCheck, SubscriptionService, UsageService } from '@litestripe/nestjs';

interface DemoRequest {
  protocol: string;
  headers: Record<string, string | undefined>;
  user?: { id: string };
}

/**
 * Checkout (subscriptions and one-time purchases), the success page, the billing portal, invoices
 * and the preview of a plan change. `@SkipSubscriptionCheck()` keeps them reachable under the
 * global SubscriptionGuard: an account whose payment failed must still be able to reach the portal
 * to fix its card, and a new one must reach checkout.
 */
@SkipSubscriptionCheck()
@Controller('billing')
export class BillingController {
  constructor(
    private readonly subscriptions: SubscriptionService,
    private readonly billing: BillingService,
    private readonly usage: UsageService,
  ) {}

  /** Redirects to Stripe Checkout; `seats` is the quantity (the plan's `api_calls` are per seat). */
  @Get('checkout')
  @Redirect()
  async checkout(
    @Req() request: DemoRequest,
    @Query('plan') plan?: string,
    @Query('price') price?: string,
    @Query('seats', new ParseIntPipe({ optional: true })) seats?: number,
  ) {
    const user = signedIn(request);
    const base = baseUrl(request);
    const session = await this.billing.createCheckoutSession({
      accountRef: user,
      ...(price ? { price } : { plan: plan ?? 'pro' }),
      ...(seats === undefined ? {} : { quantity: seats }),
      successUrl: `${base}/billing/success?session_id={CHECKOUT_SESSION_ID}&user=${user}`,
      cancelUrl: `${base}/pricing`,
    });
    return { url: session.url, statusCode: 303 };
  }

  /**
   * Redirects to Stripe Checkout in payment mode, for something sold once: `{ "lifetimePlan": "pro" }`
   * (the plan for good) or `{ "creditPack": "api_calls_100", "quantity": 2 }` (see /pricing).
   */
  @Post('purchase')
  @Redirect()
  async purchase(
    @Req() request: DemoRequest,
    @Body('lifetimePlan') lifetimePlan?: string,
    @Body('creditPack') creditPack?: string,
    @Body('quantity', new ParseIntPipe({ optional: true })) quantity?: number,
  ) {
    const user = signedIn(request);
    const base = baseUrl(request);
    const session = await this.billing.createPurchaseSession({
      accountRef: user,
      ...(lifetimePlan === undefined ? {} : { lifetimePlan }),
      ...(creditPack === undefined ? {} : { creditPack }),
      ...(quantity === undefined ? {} : { quantity }),
      successUrl: `${base}/billing/success?session_id={CHECKOUT_SESSION_ID}&user=${user}`,
      cancelUrl: `${base}/pricing`,
    });
    return { url: session.url, statusCode: 303 };
  }

  /**
   * Where Stripe sends the customer after paying, usually before the webhooks arrive: syncing the
   * session here makes the subscription (or the purchase: a plan for good, credits) local at once,
   * so the next page is already unlocked.
   */
  @Get('success')
  async success(@Req() request: DemoRequest, @Query('session_id') sessionId?: string) {
    if (!sessionId) throw new BadRequestException('session_id is missing');
    const sync = await this.billing.syncCheckoutSession(sessionId, { accountRef: signedIn(request) });
    const entitlement = await this.subscriptions.getEntitlement(signedIn(request));
    const purchase = sync.purchase && { payment: sync.purchase.paymentStatus, lifetimePlans: sync.purchase.lifetimePlans, credits: sync.purchase.credits };
    return { checkout: sync.status, ...(purchase ? { purchase } : {}), entitled: entitlement.entitled, plan: entitlement.plan, reason: entitlement.reason };
  }

  /** Redirects to the Stripe customer portal (cancel, resume, change card). */
  @Get('portal')
  @Redirect()
  async portal(@Req() request: DemoRequest) {
    const session = await this.billing.createBillingPortalSession(signedIn(request), `${baseUrl(request)}/billing/status`);
    return { url: session.url, statusCode: 303 };
  }

  /** The account's invoices from Stripe, newest first; the next page with `?starting_after=<last id>`. */
  @Get('invoices')
  invoices(
    @Req() request: DemoRequest,
    @Query('starting_after') startingAfter?: string,
    @Query('limit', new ParseIntPipe({ optional: true })) limit?: number,
  ) {
    return this.billing.listInvoices(signedIn(request), { ...(limit === undefined ? {} : { limit }), ...(startingAfter ? { startingAfter } : {}) });
  }

  /**
   * What changing to `plan` would bill now (Stripe's invoice preview), before the account confirms:
   * `prorationAmount` is positive for an upgrade, negative for a downgrade. Changes nothing.
   */
  @Get('preview')
  preview(@Req() request: DemoRequest, @Query('plan') plan?: string) {
    if (!plan) throw new BadRequestException('plan is missing: /billing/preview?plan=basic');
    return this.billing.previewPlanChange(signedIn(request), plan);
  }

  /**
   * What the account may use now, and why: its plans (`lifetimePlans`: held for good), each feature
   * with where it comes from (a plan's configuration, or Stripe's Entitlements), and its usage meter:
   * per metric, the units used this period, the limit (`null`: unlimited), the credits bought, what
   * remains (allowance left plus credits) and when the count starts again.
   */
  @Get('status')
  async status(@Req() request: DemoRequest) {
    const account = signedIn(request);
    const [e, usage] = await Promise.all([this.subscriptions.getEntitlement(account), this.usage.usage(account)]);
    const plans = this.subscriptions.listPlans().filter((plan) => e.plans.includes(plan.id));
    const sourceOf = (feature: string) => {
      if (e.stripeFeatures.includes(feature)) return 'stripe';
      const plan = plans.find((p) => p.features.includes(feature))!;
      return e.lifetimePlans.includes(plan.id) ? `lifetime plan ${plan.id}` : `plan ${plan.id}`;
    };
    return {
      entitled: e.entitled,
      reason: e.reason,
      plan: e.plan,
      lifetimePlans: e.lifetimePlans,
      features: Object.fromEntries(e.features.map((feature) => [feature, sourceOf(feature)])),
      limits: e.limits,
      status: e.status,
      endsAt: e.endsAt,
      currentPeriodEnd: e.currentPeriodEnd,
      usage: usage.map((u) => ({
        metric: u.metric,
        used: u.used,
        limit: u.limit, // Infinity: null in JSON
        credits: u.credits,
        remaining: u.remaining, // Infinity: null in JSON; includes the credits
        periodEnd: u.periodEnd,
        nearLimit: u.nearLimit,
        overLimit: u.overLimit,
        source: u.source,
        plan: u.plan,
        seats: u.seats,
      })),
    };
  }
}

function signedIn(request: DemoRequest): string {
  if (!request.user) throw new UnauthorizedException('Sign in: send x-user: <account> (demo authentication)');
  return request.user.id;
}

function baseUrl(request: DemoRequest): string {
  return `${request.protocol}://${request.headers.host}`;
}
