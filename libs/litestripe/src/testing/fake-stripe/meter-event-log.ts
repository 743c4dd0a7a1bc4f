import type Stripe from 'stripe';

/** An accepted meter event with what the fake read from its payload when it took it. */
export interface RecordedMeterEvent {
  event: Stripe.Billing.MeterEvent;
  /** The id of the meter that took it (the active meter of its `event_name` then). */
  meter: string;
  customer: string;
  /** The payload's value as a number (0 when a `count` meter's event carries none). */
  value: number;
}

/** Accepted meter events in arrival order, and when each identifier was last accepted (for the 24-hour uniqueness). */
export class MeterEventLog {
  private records: RecordedMeterEvent[] = [];
  private readonly acceptedAtByIdentifier = new Map<string, number>();

  add(record: RecordedMeterEvent): void {
    this.records.push(record);
    this.acceptedAtByIdentifier.set(record.event.identifier, record.event.created);
  }

  /** When an event with this identifier was last accepted (fake-clock seconds), if ever. */
  acceptedAt(identifier: string): number | undefined {
    return this.acceptedAtByIdentifier.get(identifier);
  }

  /** Oldest first. */
  values(): readonly RecordedMeterEvent[] {
    return this.records;
  }

  clear(): void {
    this.records = [];
    this.acceptedAtByIdentifier.clear();
  }
}
