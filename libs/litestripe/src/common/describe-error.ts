/** Longest error text kept in a table (event log, outbox). */
export const MAX_STORED_ERROR_LENGTH = 2000;

/** `Name: message` of an error, for logs and stored failures; anything else as a string. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Just the message of an error, for log lines where the kind is already said; anything else as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
