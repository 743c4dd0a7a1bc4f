/** Per-message options of {@link JetStreamRecord}. */
export interface JetStreamRecordOptions {
  /** The message id (`Nats-Msg-Id`): the stream stores a message once per id within its duplicate window. */
  msgID?: string;
  /** Headers to send with the message. */
  headers?: Record<string, string>;
}

/** Data that `JetStreamClientProxy` publishes with per-message options, as `RmqRecord` is for `ClientRMQ`. */
export class JetStreamRecord<TData = unknown> {
  constructor(
    readonly data: TData,
    readonly options: JetStreamRecordOptions = {},
  ) {}
}
