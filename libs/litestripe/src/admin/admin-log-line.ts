import { createHash } from 'node:crypto';

const EMAIL_LIKE = /[^\s"'<>@]+@[^\s"'<>@]+/g;

/** The actor as logs show it: an actor that looks like an email is logged as a hash of it. */
export function actorLabel(actor: string): string {
  if (!actor.includes('@')) return `actor ${actor.slice(0, 200)}`;
  return `actor sha256:${createHash('sha256').update(actor.toLowerCase()).digest('hex').slice(0, 16)}`;
}

/** The line with anything that looks like an email masked: operators type, and errors repeat, what no log may hold. */
export function withoutEmails(line: string): string {
  return line.replace(EMAIL_LIKE, '[email]');
}
