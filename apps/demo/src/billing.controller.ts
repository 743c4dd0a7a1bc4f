import { BadRequestException, Controller, Get, ParseIntPipe, Query, Redirect, Req, UnauthorizedException } from '@nestjs/common';
import { BillingService, SkipSubscriptionCheck, SubscriptionService, UsageService } from '@litestripe/nestjs';

interface DemoRequest {
  protocol: string;
  headers: Record<string, string | undefined>;
  user?: { id: string };
}

/**
 * Checkout, the success page and the billing portal. `@SkipSubscriptionCheck()` keeps them
 * reachable under the global SubscriptionGuard: an account whose payment failed must still be able
 * to reach the portal to fix its card, and a new one must reach checkout.
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
   * Where Stripe sends the customer after paying, usually before the webhooks arrive: syncing the
   * session here makes the subscription local at once, so the next page is already unlocked.
   */
  @Get('success')
  async success(@Req() request: DemoRequest, @Query('session_id') sessionId?: string) {
    if (!sessionId) throw new BadRequestException('session_id is missing');
    const sync = await this.billing.syncCheckoutSession(sessionId, { accountRef: signedIn(request) });
    const entitlement = await this.subscriptions.getEntitlement(signedIn(request));
    return { checkout: sync.status, entitled: entitlement.entitled, plan: entitlement.plan, reason: entitlement.reason };
  }

  /** Redirects to the Stripe customer portal (cancel, resume, change card). */
  @Get('portal')
  @Redirect()
  async portal(@Req() request: DemoRequest) {
    const session = await this.billing.createBillingPortalSession(signedIn(request), `${baseUrl(request)}/billing/status`);
    return { url: session.url, statusCode: 303 };
  }

  /**
   * What the account may use now, and why, with its usage meter: per metric, the units used this
   * period, the limit (`null`: unlimited), what remains and when the count starts again.
   */
  @Get('status')
  async status(@Req() request: DemoRequest) {
    const account = signedIn(request);
    const [e, usage] = await Promise.all([this.subscriptions.getEntitlement(account), this.usage.usage(account)]);
    return {
      entitled: e.entitled,
      reason: e.reason,
      plan: e.plan,
      features: e.features,
      limits: e.limits,
      status: e.status,
      endsAt: e.endsAt,
      currentPeriodEnd: e.currentPeriodEnd,
      usage: usage.map((u) => ({
        metric: u.metric,
        used: u.used,
        limit: u.limit, // Infinity: null in JSON
        remaining: u.remaining,
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
