/**
 * The webhook's two ways of processing (module option `webhookProcessing`), each run through every
 * scenario: `inline` (one transaction per event before answering) and `deferred` (one write into the
 * inbox, answered `queued`, applied in batches by every instance's applier).
 */
export type WebhookMode = 'inline' | 'deferred';

export const WEBHOOK_MODES: readonly WebhookMode[] = ['inline', 'deferred'];

/** The modes this run covers: CHAOS_MODES (e.g. `deferred`, or `inline,deferred`, the default). */
export function chaosModes(): WebhookMode[] {
  const wanted = (process.env.CHAOS_MODES ?? WEBHOOK_MODES.join(','))
    .split(',')
    .map((mode) => mode.trim())
    .filter(Boolean);
  const unknown = wanted.filter((mode) => !WEBHOOK_MODES.includes(mode as WebhookMode));
  if (unknown.length > 0 || wanted.length === 0) throw new Error(`CHAOS_MODES names inline and/or deferred, not ${process.env.CHAOS_MODES}`);
  return WEBHOOK_MODES.filter((mode) => wanted.includes(mode));
}

/** The answer a first delivery of an event gets: applied at once, or stored for the applier. */
export function firstAnswer(mode: WebhookMode): 'processed' | 'queued' {
  return mode === 'inline' ? 'processed' : 'queued';
}
