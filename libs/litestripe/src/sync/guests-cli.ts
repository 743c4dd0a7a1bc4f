import type { INestApplicationContext } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { BillingService } from '../billing/billing.service.js';
import type { VerifiedEmail } from '../billing/guest-links.js';
import type { SyncCommand } from './sync-cli.args.js';
import type { OutputStream } from './sync-progress.renderer.js';

type GuestsCommand = Extract<SyncCommand, { mode: 'guests-link' }>;

export function isGuestsCommand(command: SyncCommand): command is GuestsCommand {
  return command.mode === 'guests-link';
}

/**
 * `guests link <file>`: the seed's `backfill_user_links`. Reads `email,accountRef` lines (a header
 * line, blank lines and `#` comments are skipped; `-` reads standard input), links every unlinked
 * guest that paid with each email, and prints one line per outcome without the emails (the output
 * may end up in a log). Resolves with the exit code: 1 when a link was refused or a line unreadable.
 */
export async function runGuestsCommand(app: INestApplicationContext, command: GuestsCommand, stdout: OutputStream, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const text = command.file === '-' ? await readAll(stdin) : await readFile(command.file, 'utf8');
  const { verified, unreadable } = parseVerifiedEmails(text);
  for (const line of unreadable) stdout.write(`Line ${line}: not an email,accountRef pair; skipped.\n`);
  const outcomes = await app.get(BillingService, { strict: false }).linkGuestsByEmail(verified);
  const counts = { linked: 0, already_linked: 0, no_guest: 0, refused: 0 };
  for (const outcome of outcomes) {
    counts[outcome.outcome]++;
    if (outcome.guestId) stdout.write(`  guest ${outcome.guestId} → account ${outcome.accountRef}: ${outcome.outcome.replace('_', ' ')}${outcome.reason ? ` (${outcome.reason})` : ''}\n`);
  }
  stdout.write(`guests link: ${counts.linked} linked, ${counts.already_linked} already linked, ${counts.refused} refused; ${counts.no_guest} email(s) matched no unlinked guest.\n`);
  return counts.refused > 0 || unreadable.length > 0 ? 1 : 0;
}

/** `email,accountRef` per line; the line numbers of those that are neither that, blank, a comment nor the header. */
export function parseVerifiedEmails(text: string): { verified: VerifiedEmail[]; unreadable: number[] } {
  const verified: VerifiedEmail[] = [];
  const unreadable: number[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || /^email\s*,/i.test(line)) return;
    const [email, accountRef, ...rest] = line.split(',').map((part) => part.trim());
    if (!email?.includes('@') || !accountRef || rest.length > 0) unreadable.push(index + 1);
    else verified.push({ email, accountRef });
  });
  return { verified, unreadable };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}
