const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);

/**
 * Whether an error means the database cannot be reached right now (answer 503, Stripe retries)
 * rather than that processing went wrong: connection failures, server shutdown or start-up
 * (SQLSTATE class 08 and 57P0x) and pool time-outs.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const candidate = error as { code?: unknown; message?: unknown; driverError?: unknown } | null;
  if (!candidate || typeof candidate !== 'object') return false;
  if (candidate.driverError && candidate.driverError !== error && isDatabaseUnavailable(candidate.driverError)) return true;
  const code = typeof candidate.code === 'string' ? candidate.code : '';
  if (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code)) return true;
  const message = typeof candidate.message === 'string' ? candidate.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(message);
}
