import { BadRequestException, Controller, Get, HttpCode, Module, Post, ServiceUnavailableException } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { RequiresPlan, SubscriptionGuard, UsageLimit, UsageService } from '@litestripe/nestjs';
import type { LitestripeModuleOptions } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './billing-host';
import { HeaderAuthGuard } from './header-auth.guard';
import { Adapter } from './test-app';

/**
 * A host app that sells usage: the plans of billing-host.ts (named by their lookup keys, which the
 * fake Stripe's seeded prices carry whatever their ids) with limits per period, and controllers
 * whose routes count calls with `@UsageLimit()`.
 */

/** 2032-02-29T12:00:00Z: a leap day, half a day before both the calendar day and month end. */
export const LEAP_DAY_NOON = Date.UTC(2032, 1, 29, 12, 0, 0) / 1000;

export const USAGE_PLANS: LitestripeModuleOptions['plans'] = {
  // 'storage (GB)' is a limit getEntitlement() reports, and no metric name: nothing counts it.
  basic: { name: 'Basic', lookupKeys: 'basic_monthly', features: ['reports'], limits: { api_calls: 100, exports: 10, daily_calls: 5, seat_calls: 10, 'ai:tokens': 2, 'storage (GB)': 5 } },
  pro: { name: 'Pro', lookupKeys: ['pro_monthly', 'pro_yearly'], features: ['reports', 'export'], limits: { api_calls: 1000, exports: 50, daily_calls: 50, seat_calls: 100, 'ai:tokens': 20 } },
  enterprise: { name: 'Enterprise', lookupKeys: 'enterprise_monthly', features: ['reports', 'export', 'sso'], limits: { api_calls: Infinity, exports: Infinity } },
};

/** api_calls counts per billing period (the default), daily_calls per calendar day, seat_calls per seat. */
export const USAGE_OPTIONS: LitestripeModuleOptions['usage'] = {
  metrics: { api_calls: {}, daily_calls: { period: 'day' }, seat_calls: { perSeat: true } },
  // A free tier: 3 API calls a month and one a day, 10 uploads (a metric of the free tier only); no exports.
  freeLimits: { api_calls: 3, daily_calls: 1, uploads: 10 },
};

@Controller('api')
export class ApiController {
  constructor(private readonly usage: UsageService) {}

  @UsageLimit('api_calls')
  @Get('search')
  search() {
    return { results: [] };
  }

  @UsageLimit('api_calls', { cost: 10 })
  @Post('bulk')
  @HttpCode(200)
  bulk() {
    return { bulk: true };
  }

  /** Counted against a limit of its own: no plan and no free limit names `previews`. */
  @UsageLimit('previews', { limit: 2 })
  @Get('preview')
  preview() {
    return { preview: true };
  }

  @UsageLimit('api_calls')
  @Get('crash')
  async crash(): Promise<never> {
    throw new Error('the handler broke');
  }

  @UsageLimit('api_calls')
  @Get('unavailable')
  unavailable() {
    throw new ServiceUnavailableException('The search index is rebuilding.');
  }

  @UsageLimit('api_calls')
  @Get('invalid')
  invalid() {
    throw new BadRequestException('q is required.');
  }

  @UsageLimit('api_calls', { keepOnError: true })
  @Get('crash-kept')
  async crashKept(): Promise<never> {
    throw new Error('the handler broke after doing the work');
  }

  @UsageLimit('exports')
  @Post('export')
  @HttpCode(200)
  export() {
    return { exported: true };
  }

  @UsageLimit('daily_calls')
  @Get('daily')
  daily() {
    return { daily: true };
  }

  @UsageLimit('seat_calls')
  @Get('team')
  team() {
    return { team: true };
  }

  /** A metric name with a colon, which HTTP header names cannot carry. */
  @UsageLimit('ai:tokens')
  @Get('generate')
  generate() {
    return { generated: true };
  }

  @RequiresPlan('pro')
  @UsageLimit('api_calls')
  @Get('pro-search')
  proSearch() {
    return { pro: true };
  }
}

/**
 * Two limits on each route, the controller's taken before the handler's: both are taken, or
 * neither (a refused export gives back the API call taken for it).
 */
@UsageLimit('api_calls')
@Controller('bundle')
export class BundleController {
  @UsageLimit('exports', { cost: 5 })
  @Post('export')
  @HttpCode(200)
  export() {
    return { exported: 'all' };
  }
}

@Module({ controllers: [ApiController, BundleController] })
export class ApiModule {}

/** Under a global SubscriptionGuard: every route needs a subscription but those whose `@UsageLimit()` decides. */
@Controller('g')
export class GloballyGuardedController {
  @UsageLimit('api_calls')
  @Get('search')
  search() {
    return { results: [] };
  }

  @Get('dashboard')
  dashboard() {
    return { dashboard: true };
  }
}

@Module({ controllers: [GloballyGuardedController] })
export class GloballyGuardedModule {}

export interface UsageHost extends BillingHost {
  usage: UsageService;
}

/** The usage host, its accounts signed in by the `x-user` header (the host's own auth, before the module's guard). */
export async function startUsageHost(adapter: Adapter = 'express', clockStart = LEAP_DAY_NOON): Promise<UsageHost> {
  const t = await startBillingHost({
    adapter,
    clockStart,
    isGlobal: true,
    imports: [ApiModule],
    providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }],
    options: { plans: USAGE_PLANS, usage: USAGE_OPTIONS },
  });
  return Object.assign(t, { usage: t.app.get(UsageService) });
}

/** The usage host with `SubscriptionGuard` as a global guard; accounts come from the `x-account` header. */
export async function startGloballyGuardedUsageHost(adapter: Adapter = 'express'): Promise<UsageHost> {
  const t = await startBillingHost({
    adapter,
    clockStart: LEAP_DAY_NOON,
    isGlobal: true,
    imports: [GloballyGuardedModule],
    providers: [{ provide: APP_GUARD, useClass: SubscriptionGuard }],
    options: {
      plans: USAGE_PLANS,
      usage: USAGE_OPTIONS,
      accountResolver: (request) => (request.headers as Record<string, string | undefined>)['x-account'],
    },
  });
  return Object.assign(t, { usage: t.app.get(UsageService) });
}

/** A route counted in PostgreSQL (the controller's limit) and in a Redis that does not answer (the handler's). */
@UsageLimit('api_calls')
@Controller('fragile')
export class FragileController {
  @UsageLimit('hot_calls')
  @Get()
  index() {
    return { reached: true };
  }
}

@Module({ controllers: [FragileController] })
export class FragileModule {}

/** An ioredis stand-in whose server is down. */
export const UNREACHABLE_REDIS = {
  evalsha: async (): Promise<unknown> => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
  },
  eval: async (): Promise<unknown> => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
  },
};

/** A host whose `hot_calls` are counted in a Redis that is down. */
export async function startFragileStoreHost(adapter: Adapter = 'express'): Promise<UsageHost> {
  const t = await startBillingHost({
    adapter,
    clockStart: LEAP_DAY_NOON,
    isGlobal: true,
    imports: [FragileModule],
    providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }],
    options: {
      plans: { basic: { lookupKeys: 'basic_monthly', limits: { api_calls: 100, hot_calls: 10 } } },
      usage: { metrics: { hot_calls: { store: 'redis' } }, redis: UNREACHABLE_REDIS },
    },
  });
  return Object.assign(t, { usage: t.app.get(UsageService) });
}

export interface UsageRow {
  subject: string;
  metric: string;
  periodStart: string;
  periodEnd: string;
  used: number;
}

/** The counters as stored in `litestripe_usage`, oldest period first. */
export async function usageRows(dataSource: DataSource, subject?: string): Promise<UsageRow[]> {
  const rows: { subject: string; metric: string; period_start: Date; period_end: Date; used: string }[] = await dataSource.query(
    `SELECT subject, metric, period_start, period_end, used FROM litestripe_usage ${subject ? 'WHERE subject = $1' : ''} ORDER BY subject, metric, period_start`,
    subject ? [subject] : [],
  );
  return rows.map((row) => ({ subject: row.subject, metric: row.metric, periodStart: row.period_start.toISOString(), periodEnd: row.period_end.toISOString(), used: Number(row.used) }));
}

/** What the account has used of the metric in the counter of the period starting at `periodStart` (0 when there is none). */
export async function storedUse(dataSource: DataSource, account: string, metric: string, periodStart?: Date): Promise<number> {
  const rows = (await usageRows(dataSource, `account:${account}`)).filter((row) => row.metric === metric && (!periodStart || row.periodStart === periodStart.toISOString()));
  if (rows.length > 1) throw new Error(`${rows.length} counters of ${metric} for ${account}: give the period`);
  return rows[0]?.used ?? 0;
}
