import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

export interface RecordedEvent {
  name: string;
  payload: any;
}

/** Records every `litestripe.*` domain event the app emits, in order, as a host listener would see them. */
@Injectable()
export class EventRecorder implements OnModuleDestroy {
  readonly events: RecordedEvent[] = [];
  private readonly listener = (name: string | string[], payload: unknown) => {
    const eventName = Array.isArray(name) ? name.join('.') : name;
    if (eventName.startsWith('litestripe.')) this.events.push({ name: eventName, payload });
  };

  constructor(private readonly emitter: EventEmitter2) {
    emitter.onAny(this.listener);
  }

  names(): string[] {
    return this.events.map((e) => e.name);
  }

  clear(): void {
    this.events.length = 0;
  }

  onModuleDestroy(): void {
    this.emitter.offAny(this.listener);
  }
}
