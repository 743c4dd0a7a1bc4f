import { ConfigModule } from '@nestjs/config';
import type { INestApplicationContext } from '@nestjs/common';
import { runLitestripeSync, type RunLitestripeSyncOptions, type SyncCommand } from '@litestripe/nestjs';
import type { FakeStripe } from '@litestripe/nestjs/testing';
import { AppModule } from '../app.module';
import { prepareSandboxEnv, sandboxEnabled } from '../sandbox/sandbox-env';
import { SANDBOX_STRIPE } from '../sandbox/sandbox-stripe.module';
import { seedOfflineStripe } from './offline-seed';

/** Subscriptions the offline fake Stripe is seeded with. */
export const OFFLINE_SUBSCRIPTIONS = 300;

/**
 * `npm run litestripe -- sync ...` of the demo: the library's command over the demo's AppModule.
 * Without a Stripe key (sandbox mode) the app's Stripe is the in-process fake, seeded here first
 * with a few hundred subscriptions so that every mode has something to do offline.
 */
export async function runDemoSync(argv: readonly string[], options: RunLitestripeSyncOptions = {}): Promise<number> {
  await ConfigModule.envVariablesLoaded;
  // The sandbox's keys must be in the environment before the module reads its options.
  if (sandboxEnabled()) prepareSandboxEnv();
  const stdout = options.stdout ?? process.stdout;
  return runLitestripeSync(AppModule, argv, {
    ...options,
    beforeRun: (app, command) => {
      const fake = sandboxStripe(app);
      return fake ? offline(fake, command, (text) => stdout.write(text)) : undefined;
    },
  });
}

function sandboxStripe(app: INestApplicationContext): FakeStripe | null {
  try {
    return app.get<FakeStripe | null>(SANDBOX_STRIPE, { strict: false });
  } catch {
    return null;
  }
}

/** Seeds the fake; an id it cannot know (its ids are new at each run) becomes a seeded one, said so. */
function offline(fake: FakeStripe, command: SyncCommand, write: (text: string) => void): SyncCommand {
  const seed = seedOfflineStripe(fake, OFFLINE_SUBSCRIPTIONS);
  write(
    `Offline (no STRIPE_SECRET_KEY): syncing from an in-process fake Stripe with ${seed.subscriptions} subscriptions ` +
      `and ${seed.undeliveredEvents} undelivered events, e.g. subscription ${seed.example.subscription} of customer ${seed.example.customer}.\n`,
  );
  if (command.mode === 'subscription' && !fake.subscriptions.get(command.id)) {
    write(`The fake Stripe has no ${command.id} (its ids are made up at each run): syncing ${seed.example.subscription} instead.\n`);
    return { mode: 'subscription', id: seed.example.subscription };
  }
  if (command.mode === 'customer' && !fake.customers.get(command.id)) {
    write(`The fake Stripe has no ${command.id} (its ids are made up at each run): syncing ${seed.example.customer} instead.\n`);
    return { mode: 'customer', id: seed.example.customer };
  }
  return command;
}
