import { BadRequestException, Body, Controller, Get, HttpCode, HttpException, Logger, OnModuleInit, Param, ParseIntPipe, Post, Query, Req, Res, Type, UseGuards } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { SkipSubscriptionCheck } from '../access/subscription.decorators.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { IN_PROCESS_DESTINATION } from '../config/brokers-options.validator.js';
import { ADMIN_CSS, ADMIN_JS } from './admin-assets.js';
import { csrfTokenFor } from './admin-csrf.js';
import { AdminOperations, EVENT_ID, SyncTarget } from './admin-operations.js';
import { isWellFormedAccountReference } from '../common/account-reference.js';
import { GUEST_ID_PATTERN } from '../common/guest-reference.js';
import type { AdminGuard, AdminRequest } from './admin-options.interface.js';
import { eventsPage, lookupPage, PageContext, queuesPage, unclaimedPage } from './admin-pages.js';
import { actorOf, AdminRequestGuard } from './admin-request.guard.js';
import { actorLabel, withoutEmails } from './admin-log-line.js';

/** What the admin needs of an Express response or a Fastify reply: both have these. */
interface AdminResponse {
  header(name: string, value: string): unknown;
  status(code: number): unknown;
}

const OUTBOX_ID = /^[A-Za-z0-9_.:-]{1,300}$/;
const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9]{1,250}$/;
const CUSTOMER_ID = /^cus_[A-Za-z0-9]{1,250}$/;

/** Builds the admin's controller at the host's path, behind the host's guards and then the admin's own (actor, CSRF). */
export function createAdminController(path: string, guards: AdminGuard[]): Type<unknown> {
  @Controller(path)
  @SkipSubscriptionCheck()
  @UseGuards(...guards, AdminRequestGuard)
  class LitestripeAdminController implements OnModuleInit {
    private readonly logger = new Logger('LitestripeAdmin');
    private operations!: AdminOperations;

    constructor(private readonly moduleRef: ModuleRef) {}

    onModuleInit(): void {
      try {
        this.operations = this.moduleRef.get(AdminOperations, { strict: false });
      } catch {
        throw new LitestripeConfigError('admin', 'finds no LitestripeModule', 'Import LitestripeModule.forRoot() (or forRootAsync) in the same app as LitestripeAdminModule.');
      }
    }

    @Get()
    async lookupPage(@Req() request: AdminRequest, @Res({ passthrough: true }) response: AdminResponse, @Query('q') q?: string): Promise<string> {
      const context = this.page(request, response, '');
      if (q === undefined || q === '') return lookupPage(context, '', null, null);
      try {
        return lookupPage(context, q, await this.operations.lookup(q), null);
      } catch (error) {
        if (!(error instanceof HttpException) || error.getStatus() >= 500) throw error;
        response.status(error.getStatus());
        return lookupPage(context, q, null, error.message);
      }
    }

    @Get('events')
    async eventsPage(@Req() request: AdminRequest, @Res({ passthrough: true }) response: AdminResponse, @Query('filter') filter?: string): Promise<string> {
      const chosen = eventFilter(filter);
      return eventsPage(this.page(request, response, 'events'), chosen, await this.operations.listEvents(chosen));
    }

    @Get('queues')
    async queuesPage(@Req() request: AdminRequest, @Res({ passthrough: true }) response: AdminResponse): Promise<string> {
      const [outbox, inbox] = await Promise.all([this.operations.outboxView(), this.operations.inboxView()]);
      return queuesPage(this.page(request, response, 'queues'), outbox, inbox);
    }

    @Get('unclaimed')
    async unclaimedPage(@Req() request: AdminRequest, @Res({ passthrough: true }) response: AdminResponse): Promise<string> {
      return unclaimedPage(this.page(request, response, 'unclaimed'), await this.operations.unclaimed());
    }

    @Get('assets/admin.css')
    css(@Res({ passthrough: true }) response: AdminResponse): string {
      response.header('content-type', 'text/css; charset=utf-8');
      return ADMIN_CSS;
    }

    @Get('assets/admin.js')
    js(@Res({ passthrough: true }) response: AdminResponse): string {
      response.header('content-type', 'text/javascript; charset=utf-8');
      return ADMIN_JS;
    }

    @Get('api/csrf')
    csrf(@Req() request: AdminRequest, @Res({ passthrough: true }) response: AdminResponse): { token: string } {
      return { token: this.csrfToken(request, response) };
    }

    @Get('api/lookup')
    lookup(@Query('q') q?: string) {
      return this.operations.lookup(q);
    }

    @Get('api/events')
    events(@Query('filter') filter?: string) {
      return this.operations.listEvents(eventFilter(filter));
    }

    @Post('api/events/:id/replay')
    @HttpCode(200)
    async replay(@Req() request: AdminRequest, @Param('id') id: string) {
      if (!EVENT_ID.test(id)) throw new BadRequestException(`${JSON.stringify(id.slice(0, 100))} is not a Stripe event id (evt_…).`);
      return this.logged(request, `replay of event ${id}`, this.operations.replayEvent(id));
    }

    @Get('api/outbox')
    outbox() {
      return this.operations.outboxView();
    }

    @Post('api/outbox/:id/retry')
    @HttpCode(200)
    retryOutbox(@Req() request: AdminRequest, @Param('id') id: string, @Body() body: { destination?: unknown }) {
      if (!OUTBOX_ID.test(id)) throw new BadRequestException(`${JSON.stringify(id.slice(0, 100))} is not an outbox entry id.`);
      const destination = body?.destination ?? IN_PROCESS_DESTINATION;
      if (typeof destination !== 'string') throw new BadRequestException('destination must be a string: in-process or a broker\'s name.');
      return this.logged(request, `retry of outbox entry ${id} at ${destination}`, this.operations.retryOutbox(id, destination));
    }

    @Get('api/inbox')
    inbox() {
      return this.operations.inboxView();
    }

    @Post('api/inbox/:id/retry')
    @HttpCode(200)
    retryInbox(@Req() request: AdminRequest, @Param('id') id: string) {
      if (!EVENT_ID.test(id)) throw new BadRequestException(`${JSON.stringify(id.slice(0, 100))} is not a Stripe event id (evt_…).`);
      return this.logged(request, `retry of inbox event ${id}`, this.operations.retryInbox(id));
    }

    @Get('api/unclaimed')
    unclaimed() {
      return this.operations.unclaimed();
    }

    @Post('api/orphans/:id/claim')
    @HttpCode(200)
    claimOrphan(@Req() request: AdminRequest, @Param('id', ParseIntPipe) id: number, @Body() body: unknown) {
      const accountRef = accountRefOf(body);
      return this.logged(request, `claim of orphaned payment #${id} for account ${accountRef}`, this.operations.claimOrphan(id, accountRef));
    }

    @Post('api/guests/:id/claim')
    @HttpCode(200)
    claimGuest(@Req() request: AdminRequest, @Param('id') id: string, @Body() body: unknown) {
      if (!GUEST_ID_PATTERN.test(id)) throw new BadRequestException(`${JSON.stringify(id.slice(0, 100))} is not a guest id.`);
      const accountRef = accountRefOf(body);
      return this.logged(request, `link of guest ${id} to account ${accountRef}`, this.operations.claimGuest(id, accountRef));
    }

    @Post('api/sync')
    @HttpCode(200)
    sync(@Req() request: AdminRequest, @Body() body: { subscription?: unknown; customer?: unknown }) {
      const target = syncTargetOf(body);
      return this.logged(request, `sync of ${target.kind} ${target.id}`, this.operations.syncFromStripe(target));
    }

    /** Every change is logged with its actor and its result (ids and outcomes only: no email reaches a log). */
    private async logged<T>(request: AdminRequest, what: string, work: Promise<T>): Promise<T> {
      const actor = actorLabel(actorOf(request));
      try {
        const result = await work;
        this.logger.log(withoutEmails(`${actor}: ${what}: ${JSON.stringify(result)}`));
        return result;
      } catch (error) {
        this.logger.warn(withoutEmails(`${actor}: ${what} refused: ${error instanceof Error ? error.message : String(error)}`));
        throw error;
      }
    }

    private page(request: AdminRequest, response: AdminResponse, route: string): PageContext {
      response.header('content-type', 'text/html; charset=utf-8');
      response.header('cache-control', 'no-store');
      return { base: baseOf(request.url, route), csrfToken: this.csrfToken(request, response) };
    }

    private csrfToken(request: AdminRequest, response: AdminResponse): string {
      const { token, setCookie } = csrfTokenFor(request);
      if (setCookie) response.header('set-cookie', setCookie);
      return token;
    }
  }
  return LitestripeAdminController;
}

/** The admin's base URL as the browser sees it (the host's global prefix included): the request's path without the route. */
function baseOf(url: string, route: string): string {
  const pathname = url.split('?')[0].replace(/\/+$/, '');
  return route === '' ? pathname : pathname.slice(0, pathname.length - route.length - 1);
}

function eventFilter(filter: string | undefined): 'recent' | 'failed' {
  if (filter === undefined || filter === '' || filter === 'recent') return 'recent';
  if (filter === 'failed') return 'failed';
  throw new BadRequestException(`filter is "recent" or "failed" (got ${JSON.stringify(filter.slice(0, 50))}).`);
}

function accountRefOf(body: unknown): string {
  const accountRef = (body as { accountRef?: unknown } | null)?.accountRef;
  if (typeof accountRef !== 'string') throw new BadRequestException('Give { "accountRef": "<the account to link>" } as JSON.');
  if (!isWellFormedAccountReference(accountRef)) throw new BadRequestException('accountRef is 1 to 200 letters, digits, "_" or "-": the reference your app stores, not an email.');
  return accountRef;
}

function syncTargetOf(body: { subscription?: unknown; customer?: unknown } | null): SyncTarget {
  const { subscription, customer } = body ?? {};
  if (typeof subscription === 'string' && customer === undefined && SUBSCRIPTION_ID.test(subscription)) return { kind: 'subscription', id: subscription };
  if (typeof customer === 'string' && subscription === undefined && CUSTOMER_ID.test(customer)) return { kind: 'customer', id: customer };
  throw new BadRequestException('Give { "subscription": "sub_…" } or { "customer": "cus_…" }.');
}
