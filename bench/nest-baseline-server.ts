import 'reflect-metadata';
import { BadRequestException, Controller, Headers, HttpCode, Inject, Module, NotFoundException, OnApplicationShutdown, Param, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import Stripe from 'stripe';
import { benchAdapter } from './bench-adapter';

/**
 * The Nest baseline of the webhook benchmarks: the least a Nest app must do for a correct webhook
 * endpoint, on the same adapter as the module (BENCH_ADAPTER: express, the default, or fastify),
 * created with `rawBody: true`. One controller at `POST /ls/hook/:uuid` verifies the signature on
 * the raw body (`Stripe.webhooks.constructEventAsync`) and records the event idempotently in one
 * autocommit statement through a `pg.Pool` of 10: the same table and statement as the bare floor
 * (bench/baseline-server.ts). It answers like the module, `{ received: true, outcome }`. What it
 * costs beyond the floor is Nest's and the adapter's, not the library's.
 *
 * Env, as the other servers: PORT, DATABASE_URL, STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_UUID.
 */

const POOL = Symbol('POOL');
const INSERT = 'INSERT INTO bench_event (id, type, payload) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

interface RawRequest {
  rawBody?: Buffer;
}

@Controller('ls/hook')
class WebhookController {
  private readonly secret = required('STRIPE_WEBHOOK_SECRET');
  private readonly uuid = required('STRIPE_WEBHOOK_UUID');

  constructor(@Inject(POOL) private readonly pool: Pool) {}

  @Post(':uuid')
  @HttpCode(200)
  async receive(@Param('uuid') uuid: string, @Req() request: RawRequest, @Headers('stripe-signature') signature?: string): Promise<{ received: true; outcome: string }> {
    if (uuid !== this.uuid) throw new NotFoundException();
    const raw = request.rawBody;
    if (!raw) throw new BadRequestException('no body');
    let event: Stripe.Event;
    try {
      event = await Stripe.webhooks.constructEventAsync(raw, signature ?? '', this.secret);
    } catch {
      throw new BadRequestException('bad signature');
    }
    const result = await this.pool.query(INSERT, [event.id, event.type, raw.toString('utf8')]);
    return { received: true, outcome: result.rowCount ? 'processed' : 'duplicate' };
  }
}

class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject(POOL) private readonly pool: Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Module({
  controllers: [WebhookController],
  providers: [{ provide: POOL, useFactory: () => new Pool({ connectionString: required('DATABASE_URL'), max: 10 }) }, PoolCloser],
})
class NestBaselineModule {}

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: required('DATABASE_URL'), max: 1 });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_event (id text PRIMARY KEY, type text, payload jsonb)');
  await pool.end();
  const options = { rawBody: true, logger: ['error', 'warn'] as ('error' | 'warn')[] };
  const app =
    benchAdapter() === 'fastify'
      ? await NestFactory.create<NestFastifyApplication>(NestBaselineModule, new FastifyAdapter(), options)
      : await NestFactory.create<NestExpressApplication>(NestBaselineModule, options);
  app.enableShutdownHooks();
  await app.listen(Number(required('PORT')), '127.0.0.1');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
