import type { LitestripeBrokerMessage, OutboxBroker } from '@litestripe/nestjs';

/**
 * A broker a host could write itself (the OutboxBroker interface), keeping what it confirmed in
 * memory, with switches for the faults a real one has: unreachable, slow to confirm, rejecting one
 * message. Several instances may share one `confirmed` list (two app instances, one broker).
 */
export class RecordingBroker implements OutboxBroker {
  reachable = true;
  confirmDelayMs = 0;
  /** Ids it refuses to confirm, as a broker that nacks one message. */
  readonly rejecting = new Set<string>();
  /** Event names it refuses to confirm. */
  readonly rejectingNames = new Set<string>();
  /** Every publish call, confirmed or not, in call order. */
  readonly attempts: string[] = [];
  connects = 0;
  closed = false;

  constructor(
    readonly name: string,
    readonly confirmed: LitestripeBrokerMessage[] = [],
  ) {}

  async connect(): Promise<void> {
    this.connects++;
    if (!this.reachable) throw new Error(`connect ECONNREFUSED (${this.name})`);
  }

  async publish(message: LitestripeBrokerMessage): Promise<void> {
    this.attempts.push(message.id);
    if (!this.reachable) throw new Error(`connection closed (${this.name})`);
    if (this.rejecting.has(message.id) || this.rejectingNames.has(message.name)) throw new Error(`nack of ${message.id}`);
    // Stored in call order, like a broker's channel; confirmed after the delay.
    this.confirmed.push(message);
    if (this.confirmDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.confirmDelayMs));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  ids(): string[] {
    return this.confirmed.map((message) => message.id);
  }
}
