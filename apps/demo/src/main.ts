import { Logger, LogLevel } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DEMO_ADMIN_PATH, prepareAdminToken } from './admin-token.config';
import { AppModule } from './app.module';
import { describeDatabase } from './database.config';
import { prepareSandboxEnv, sandboxEnabled } from './sandbox/sandbox-env';
import { runSandboxLifecycle } from './sandbox/sandbox-lifecycle';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** `DEMO_QUIET=1`: errors only. Otherwise `LOG_LEVEL` (fatal, error, warn, log, debug, verbose), default `log`. */
function logLevels(env: NodeJS.ProcessEnv = process.env): LogLevel[] {
  if (env.DEMO_QUIET === '1') return ['fatal', 'error'];
  const index = LEVELS.indexOf(env.LOG_LEVEL as LogLevel);
  return LEVELS.slice(0, (index < 0 ? LEVELS.indexOf('log') : index) + 1);
}

async function bootstrap() {
  await ConfigModule.envVariablesLoaded;
  // The sandbox's keys must be in the environment before the module reads its options.
  const sandbox = sandboxEnabled() ? prepareSandboxEnv() : null;
  const admin = prepareAdminToken();
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { rawBody: true, logger: logLevels() });
  app.useBodyParser('json', { limit: '1mb' }); // Express's default is 100 kB; Stripe events can be larger
  app.enableShutdownHooks();
  const port = Number(process.env.PORT) || 3000;
  await app.listen(port);

  const logger = new Logger('Demo');
  logger.log(`Database: ${describeDatabase()}`);
  logger.log(`Stripe webhook endpoint: http://localhost:${port}/ls/hook/${process.env.STRIPE_WEBHOOK_UUID}`);
  logger.log(`Pricing: http://localhost:${port}/pricing; premium routes (send x-user: <account>): /premium, /premium/reports (pro plan), /premium/export (export feature), /premium/support (priority_support, a feature from Stripe)`);
  logger.log(`Billing (open to every signed-in account, even past_due): /billing/checkout?plan=pro[&seats=3], POST /billing/purchase {"lifetimePlan":"pro"} or {"creditPack":"api_calls_100","quantity":2}, /billing/success, /billing/portal, /billing/status, /billing/invoices[?starting_after=in_...], /billing/preview?plan=basic`);
  logger.log(`Guests (no account): /guest/checkout?plan=pro, /guest/success (shows the access token once); with the x-guest-token header: the premium routes, /guest/portal, /guest/invoices, and POST /guest/link with x-user to move the subscription to that account`);
  logger.log(`Usage-limited API (10 calls a month without a plan, then the plan's api_calls per seat; 429 past the limit): GET /api/search?q=, POST /api/exports (10 calls), POST /api/summaries (pro, metered); the meter: /billing/status`);
  logger.log(adminLine(port, admin));
  if (sandbox) {
    logger.log('Sandbox mode: Stripe is an in-process fake; playing a customer\'s story over HTTP, webhooks signed with the local secret');
    // A broken script should not take the server down with it: log and keep serving.
    await runSandboxLifecycle(app, sandbox, admin.token).catch((error: unknown) => logger.error(`Sandbox lifecycle failed: ${describeError(error)}`));
  } else {
    logger.log(`Forward Stripe events here, e.g. stripe listen --forward-to localhost:${port}/ls/hook/${process.env.STRIPE_WEBHOOK_UUID}`);
  }
}

/** The admin's start-up line: a token made for this run is shown here, once (LOG_LEVEL warn or quieter hides it: set DEMO_ADMIN_TOKEN then). */
function adminLine(port: number, admin: { token: string; generated: boolean }): string {
  const base = `http://localhost:${port}`;
  const api = `its API: curl -H 'Authorization: Bearer <token>' ${base}/${DEMO_ADMIN_PATH}/api/unclaimed`;
  if (!admin.generated) return `Admin (support's view of billing): ${base}/admin-login?token=<DEMO_ADMIN_TOKEN> opens ${base}/${DEMO_ADMIN_PATH}; ${api}`;
  return `Admin (support's view of billing): ${base}/admin-login?token=${admin.token} opens ${base}/${DEMO_ADMIN_PATH} (a token made for this run, printed only here; set DEMO_ADMIN_TOKEN to keep one); ${api}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

bootstrap().catch((error: unknown) => {
  new Logger('Demo').fatal(describeError(error));
  process.exit(1);
});
