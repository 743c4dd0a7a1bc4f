import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LitestripeModule, runLitestripeSync } from '@litestripe/nestjs';
import { stripeId } from '@litestripe/nestjs/testing';
import { T0 } from './support/scenario';
import { WEBHOOK_SECRET } from './support/test-app';
import { testDatabaseUrl, truncateTables, typeOrmOptions } from './support/test-database';

const quiet = () => undefined;
const SILENT = { log: quiet, warn: quiet, error: quiet, debug: quiet, verbose: quiet, fatal: quiet };

class Output {
  text = '';
  readonly isTTY = false;
  readonly columns = 120;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** `sync events failed` and `sync events retry`: the operator's view of webhook events that failed. */
describe('runLitestripeSync events', () => {
  let dataSource: DataSource;

  function hostModule(): DynamicModule {
    @Module({})
    class EventsCliHostModule {}
    return {
      module: EventsCliHostModule,
      imports: [
        TypeOrmModule.forRootAsync({ useFactory: async () => ({ ...typeOrmOptions(await testDatabaseUrl()), entities: [], autoLoadEntities: true }) }),
        EventEmitterModule.forRoot(),
        LitestripeModule.forRoot({ secretKey: 'sk_test_cli', webhookUuid: '6f1c1f0e-2c55-4d5f-9a53-0d6f4f1b8e21', webhookSecret: WEBHOOK_SECRET, webhookProcessing: 'deferred' }),
      ],
    };
  }

  const cli = async (argv: string[]) => {
    const stdout = new Output();
    const stderr = new Output();
    const code = await runLitestripeSync(hostModule(), argv, { stdout, stderr, handleSignals: false, logger: SILENT });
    return { code, out: stdout.text, err: stderr.text };
  };

  beforeAll(async () => {
    dataSource = await new DataSource(typeOrmOptions(await testDatabaseUrl())).initialize();
  });
  afterAll(() => dataSource.destroy());
  beforeEach(() => truncateTables(dataSource));

  /** A failed event as the inbox keeps it (deferred: its handler's facts), or as inline processing leaves it (none). */
  async function failedEvent(kept: boolean): Promise<{ id: string; subscriptionId: string }> {
    const id = stripeId('evt');
    const subscriptionId = stripeId('sub');
    const work = { invoiceId: stripeId('in'), subscriptionId, customerId: null, status: 'succeeded', livemode: false, amount: 900, currency: 'eur', created: T0 };
    await dataSource.query(
      `INSERT INTO litestripe_event ("id", "type", "livemode", "stripe_created", "outcome", "attempts", "last_error", "ordering_key", "work", "received_at")
       VALUES ($1, 'invoice.paid', false, to_timestamp($2), 'failed', 8, 'the accounts service is down', $3, $4::jsonb, now() - make_interval(secs => $5))`,
      [id, T0, subscriptionId, kept ? JSON.stringify(work) : null, kept ? 2 : 1],
    );
    return { id, subscriptionId };
  }

  const outcome = async (id: string) => (await dataSource.query('SELECT "outcome" FROM litestripe_event WHERE "id" = $1', [id]))[0].outcome;

  it('lists failed events oldest first, with their error, and says which only Stripe retries', async () => {
    expect(await cli(['sync', 'events', 'failed'])).toMatchObject({ code: 0, out: 'No failed webhook events.\n' });
    const deferred = await failedEvent(true);
    const inline = await failedEvent(false);
    const { code, out } = await cli(['sync', 'events', 'failed']);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe('2 failed webhook event(s), oldest first:');
    expect(lines[1]).toMatch(new RegExp(`^  ${deferred.id}  invoice.paid  ${deferred.subscriptionId}  8 attempt\\(s\\), received \\S+Z$`));
    expect(lines[2]).toBe('      the accounts service is down');
    expect(lines[3]).toMatch(new RegExp(`^  ${inline.id} .* \\(failed inline: retried by Stripe, not here\\)$`));
    expect((await cli(['sync', 'events', 'failed', '--limit', '1'])).out).not.toContain(inline.id);
  });

  it('retries the failed events it kept, says which ids it could not, and exits 1 for those', async () => {
    const kept = await failedEvent(true);
    const inline = await failedEvent(false);
    const result = await cli(['sync', 'events', 'retry', kept.id, inline.id, 'evt_unknown']);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`Queued 1 event(s) for another attempt: ${kept.id}.`);
    expect(result.out).toContain(`Not queued (not failed, unknown, or failed inline with nothing kept to retry: Stripe's redelivery or \`sync replay\` retries those): ${inline.id}, evt_unknown.`);
    // The command applied it before it returned.
    expect(await outcome(kept.id)).toBe('processed');
    expect(await outcome(inline.id)).toBe('failed');
    expect(await cli(['sync', 'events', 'retry'])).toMatchObject({ code: 0, out: 'Queued 0 event(s) for another attempt.\n' });
  });

  it('refuses a malformed command with the usage, exit code 2', async () => {
    const { code, err } = await cli(['sync', 'events', 'retry', 'sub_123']);
    expect(code).toBe(2);
    expect(err).toContain('events retry takes Stripe event ids (evt_...), got sub_123.');
    expect(err).toContain('events retry [evt_...]');
  });
});
