import { Controller, Get, Headers, Post, Query } from '@nestjs/common';
import { CurrentEntitlement, RequiresPlan, UsageLimit, UsageService } from '@litestripe/nestjs';
import type { Entitlement } from '@litestripe/nestjs';

const DOCUMENTS = ['churn by cohort', 'monthly revenue', 'failed payments', 'seats per account', 'trial conversions'];

/**
 * The usage-limited API. `@UsageLimit('api_calls')` counts each call against the account's
 * allowance (its plan's `limits.api_calls` per seat, or `usage.freeLimits` without a subscription)
 * and answers 429 with `Retry-After` once it is used up; its answers carry the
 * `X-RateLimit-{Limit,Remaining,Reset}-api_calls` headers. With only `@UsageLimit()`, a route needs
 * no subscription (the global guard lets the free tier in).
 */
@Controller('api')
export class ApiController {
  constructor(private readonly usage: UsageService) {}

  @UsageLimit('api_calls')
  @Get('search')
  search(@Query('q') q = '') {
    const query = q.trim().toLowerCase();
    return { query: q, results: DOCUMENTS.filter((title) => title.includes(query)) };
  }

  /** An export is heavier: it uses 10 calls of the allowance at once. */
  @UsageLimit('api_calls', { cost: 10 })
  @Post('exports')
  export() {
    return { export: 'csv', rows: DOCUMENTS.length, cost: 10 };
  }

  /**
   * Pay as you go: pro has unlimited summaries, each one counted and (in the sandbox) reported to
   * the Stripe meter, billed after the period. A retry with the same `Idempotency-Key` counts and
   * bills nothing more.
   */
  @RequiresPlan('pro')
  @Post('summaries')
  async summarize(@CurrentEntitlement() entitlement: Entitlement, @Headers('idempotency-key') idempotencyKey?: string) {
    const recorded = await this.usage.record(entitlement.accountRef, 'summaries', 1, idempotencyKey ? { idempotencyKey } : {});
    return { summary: 'Revenue grew 4% while churn fell.', used: recorded.used, metered: recorded.metered, duplicate: recorded.duplicate };
  }
}
