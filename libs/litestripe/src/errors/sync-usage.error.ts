/** A command line that cannot be run; the message says what to type instead. */
export class SyncUsageError extends Error {
  override readonly name = 'SyncUsageError';
}
