/** A stored answer, replayed byte for byte. */
export interface CachedAnswer {
  status: number;
  body: string;
  requestId: string;
}

export type IdempotencyLookup =
  | { state: 'new' }
  | { state: 'replay'; answer: CachedAnswer }
  | { state: 'mismatch' }
  | { state: 'in_flight' };

interface Entry {
  fingerprint: string;
  answer: CachedAnswer | null;
}

const MAX_ENTRIES = 10_000;

/**
 * Stripe's idempotency: a key seen before with the same request replays the first answer;
 * with a different request it is an error. Keys are scoped per API key, like per account.
 */
export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  begin(apiKey: string, key: string, fingerprint: string): IdempotencyLookup {
    const scoped = `${apiKey}\u0000${key}`;
    const entry = this.entries.get(scoped);
    if (!entry) {
      this.entries.set(scoped, { fingerprint, answer: null });
      this.evictOldest();
      return { state: 'new' };
    }
    if (entry.fingerprint !== fingerprint) return { state: 'mismatch' };
    return entry.answer ? { state: 'replay', answer: entry.answer } : { state: 'in_flight' };
  }

  complete(apiKey: string, key: string, answer: CachedAnswer): void {
    const entry = this.entries.get(`${apiKey}\u0000${key}`);
    if (entry) entry.answer = answer;
  }

  /** Forgets a key whose request failed validation, so a corrected retry can reuse it (as on Stripe). */
  release(apiKey: string, key: string): void {
    this.entries.delete(`${apiKey}\u0000${key}`);
  }

  clear(): void {
    this.entries.clear();
  }

  private evictOldest(): void {
    if (this.entries.size <= MAX_ENTRIES) return;
    const oldest = this.entries.keys().next().value;
    if (oldest !== undefined) this.entries.delete(oldest);
  }
}
