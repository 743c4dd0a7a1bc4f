import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * 429: this client presented more unusable guest tokens than `guests.tokenAttempts` allows; no token
 * is checked for it until the wait is over. `{ statusCode: 429, error: 'Too Many Requests', message,
 * reason: 'guest_token_attempts', retryAfterSeconds }`.
 */
export class GuestTokenAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `Too many invalid access tokens from this client; try again in ${retryAfterSeconds} s.`,
        reason: 'guest_token_attempts',
        retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
