import { BaseRpcContext } from '@nestjs/microservices';
import type { JsMsg } from '@nats-io/jetstream';

/** What a handler's `@Ctx()` receives from {@link JetStreamServer}: the JetStream message. */
export class JetStreamContext extends BaseRpcContext<[JsMsg]> {
  getMessage(): JsMsg {
    return this.args[0];
  }

  getSubject(): string {
    return this.args[0].subject;
  }
}
