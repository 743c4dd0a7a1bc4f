import type { INestApplicationContext } from '@nestjs/common';
import { WebhookInboxService } from '../webhook/inbox/webhook-inbox.service.js';
import type { FailedInboxEvent } from '../webhook/inbox/inbox.repository.js';
import type { SyncCommand } from './sync-cli.args.js';
import type { OutputStream } from './sync-progress.renderer.js';

type InboxCommand = Extract<SyncCommand, { mode: 'events-failed' | 'events-retry' }>;

export function isInboxCommand(command: SyncCommand): command is InboxCommand {
  return command.mode === 'events-failed' || command.mode === 'events-retry';
}

/**
 * `events failed` lists the webhook events kept as failed; `events retry [evt_...]` queues them
 * again and applies what is due before returning (an event that fails again backs off, and the
 * running instances' appliers retry it). Resolves with the exit code: 1 when an id given to retry
 * was not a retryable failed event.
 */
export async function runInboxCommand(app: INestApplicationContext, command: InboxCommand, stdout: OutputStream): Promise<number> {
  const inbox = app.get(WebhookInboxService, { strict: false });
  if (command.mode === 'events-failed') {
    const failed = await inbox.listFailed({ limit: command.limit });
    stdout.write(failed.length === 0 ? 'No failed webhook events.\n' : `${failed.length} failed webhook event(s), oldest first:\n${failed.map(describeFailed).join('\n')}\n`);
    return 0;
  }
  const queued = await inbox.retryFailed(command.ids ?? undefined);
  // This command's own app context applies what it queued, as any instance would (they share the work).
  await inbox.drain();
  stdout.write(`Queued ${queued.length} event(s) for another attempt${queued.length ? `: ${queued.join(', ')}` : ''}.\n`);
  const missed = (command.ids ?? []).filter((id) => !queued.includes(id));
  if (missed.length === 0) return 0;
  stdout.write(
    `Not queued (not failed, unknown, or failed inline with nothing kept to retry: Stripe's redelivery or \`sync replay\` retries those): ${missed.join(', ')}.\n`,
  );
  return 1;
}

function describeFailed(event: FailedInboxEvent): string {
  const retry = event.retryable ? '' : ' (failed inline: retried by Stripe, not here)';
  return `  ${event.id}  ${event.type}  ${event.orderingKey ?? '-'}  ${event.attempts} attempt(s), received ${event.receivedAt.toISOString()}${retry}\n      ${event.lastError ?? ''}`;
}
