import { BadRequestException, Controller, Get, ParseIntPipe, Post, Query, Redirect, Req, UnauthorizedException } from '@nestjs/common';
import { BillingService, GuestTokenRejectedException, SkipSubscriptionCheck } from '@litestripe/nestjs';

/** Where a guest sends its access token; the module's `guests.tokenFrom` (app.module.ts) names it too. */
export const GUEST_TOKEN_HEADER = 'x-guest-token';

interface GuestRequest {
  protocol: string;
  ip?: string;
  headers: Record<string, string | undefined>;
  user?: { id: string };
}

/**
 * Selling to visitors without an account: checkout, the success page that shows the access token
 * once, the billing portal and invoices by token, and linking the guest to an account once it signs
 * up. The premium routes need nothing of their own: the global SubscriptionGuard admits a request
 * without an account by the token in the `x-guest-token` header. `@SkipSubscriptionCheck()` keeps
 * these routes reachable for a visitor who has not paid yet, and for a guest whose payment failed.
 */
@SkipSubscriptionCheck()
@Controller('guest')
export class GuestController {
  constructor(private readonly billing: BillingService) {}

  /**
   * Redirects to Stripe Checkout without an account; `email` pre-fills it. A form open to anyone:
   * in a real app, put your rate limit (e.g. `@nestjs/throttler`) on this route.
   */
  @Get('checkout')
  @Redirect()
  async checkout(@Req() request: GuestRequest, @Query('plan') plan = 'pro', @Query('email') email?: string) {
    const base = baseUrl(request);
    const session = await this.billing.createGuestCheckoutSession({
      plan,
      ...(email ? { email } : {}),
      successUrl: `${base}/guest/success?session_id={CHECKOUT_SESSION_ID}`,
      cancelUrl: `${base}/pricing`,
    });
    return { url: session.url, statusCode: 303 };
  }

  /**
   * Where Stripe sends the guest after paying. The first visit answers the access token, once:
   * give it to the visitor (here on the page; a real app would also email it as a link). A reload
   * answers no token; a lost one is reissued by support (`reissueGuestToken`).
   */
  @Get('success')
  async success(@Query('session_id') sessionId?: string) {
    if (!sessionId) throw new BadRequestException('session_id is missing');
    const sync = await this.billing.syncCheckoutSession(sessionId);
    if (!sync.guest) return { checkout: sync.status };
    if (!sync.guest.token) {
      return { checkout: sync.status, guest: sync.guest.guestId, note: 'The access token was shown on the first visit of this page and is not stored: ask support for a new one.' };
    }
    return {
      checkout: sync.status,
      guest: sync.guest.guestId,
      token: sync.guest.token,
      tokenExpiresAt: sync.guest.tokenExpiresAt,
      note: `Keep this token: it is shown once. Send it as the ${GUEST_TOKEN_HEADER} header to use premium routes, open /guest/portal and /guest/invoices.`,
    };
  }

  /** Redirects to the Stripe customer portal of the guest's subscription (cancel, change card). Here, as on every route that takes a token, a bad one counts against the client's IP. */
  @Get('portal')
  @Redirect()
  async portal(@Req() request: GuestRequest) {
    const session = await this.billing.createGuestBillingPortalSession(tokenOf(request), `${baseUrl(request)}/pricing`, { clientKey: request.ip });
    return { url: session.url, statusCode: 303 };
  }

  /** The guest's invoices, newest first; the next page with `?starting_after=<last id>`. */
  @Get('invoices')
  invoices(
    @Req() request: GuestRequest,
    @Query('starting_after') startingAfter?: string,
    @Query('limit', new ParseIntPipe({ optional: true })) limit?: number,
  ) {
    return this.billing.listInvoices({ guestToken: tokenOf(request), clientKey: request.ip }, { ...(limit === undefined ? {} : { limit }), ...(startingAfter ? { startingAfter } : {}) });
  }

  /**
   * The guest signed up: its subscription moves to the signed-in account (`x-user`), and the token
   * stops working (401 `guest_linked`). A bad token counts against the client's IP, as at the guard.
   */
  @Post('link')
  async link(@Req() request: GuestRequest) {
    if (!request.user) throw new UnauthorizedException('Sign in first: send x-user: <account> (demo authentication) with the guest token');
    const { guest, subscription, alreadyLinked } = await this.billing.linkGuest(tokenOf(request), request.user.id, { clientKey: request.ip });
    return { guest: guest.id, accountRef: subscription.accountRef, subscription: subscription.id, alreadyLinked };
  }
}

function tokenOf(request: GuestRequest): string {
  const token = request.headers[GUEST_TOKEN_HEADER];
  if (!token) throw new GuestTokenRejectedException('guest_token_missing');
  return token;
}

function baseUrl(request: GuestRequest): string {
  return `${request.protocol}://${request.headers.host}`;
}
