/**
 * An Error saying what failed and why. Nest's clients also reject with strings and with
 * amqp-connection-manager's `{ err, url }`, whose URL may hold a password: only `err` is kept.
 */
export function failure(what: string, error: unknown): Error {
  const cause = isErrorLike(error) ? error : (error as { err?: unknown } | null)?.err;
  if (isErrorLike(cause)) return new Error(`${what}: ${cause.message}`, { cause });
  return new Error(typeof error === 'string' ? `${what}: ${error}` : `${what}.`);
}

/** The message of an error, or the value as a string. */
export function reasonOf(error: unknown): string {
  return isErrorLike(error) ? error.message : String(error);
}

/** Duck-typed: errors made in another realm (Node's own, under Jest's VM) fail `instanceof Error`. */
function isErrorLike(value: unknown): value is Error {
  return value instanceof Error || (typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' && typeof (value as Error).name === 'string');
}
