import { Inject, Provider } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';

const LITESTRIPE_EVENT_EMITTER = Symbol('LITESTRIPE_EVENT_EMITTER');

/**
 * The host's `EventEmitter2`, checked once: the host owns the event bus, and a missing
 * `EventEmitterModule.forRoot()` gets a message that says so instead of a DI error.
 */
export const eventEmitterProvider: Provider = {
  provide: LITESTRIPE_EVENT_EMITTER,
  inject: [{ token: EventEmitter2, optional: true }],
  useFactory: (emitter?: EventEmitter2): EventEmitter2 => {
    if (!emitter) {
      throw new LitestripeConfigError('EventEmitterModule', 'is not registered', 'Add `EventEmitterModule.forRoot()` from @nestjs/event-emitter to the imports of your AppModule.');
    }
    return emitter;
  },
};

/** Injects the host's `EventEmitter2` through {@link eventEmitterProvider}. */
export const InjectEventEmitter = (): ParameterDecorator => Inject(LITESTRIPE_EVENT_EMITTER);
