import { HttpException, HttpStatus } from '@nestjs/common';

/** Why a guest access token was refused. */
export type GuestTokenProblem = 'guest_token_missing' | 'guest_token_unknown' | 'guest_token_revoked' | 'guest_token_expired' | 'guest_linked';

const MESSAGES: Record<GuestTokenProblem, string> = {
  guest_token_missing: 'Sign in, or give the access token you received after paying.',
  guest_token_unknown: 'This access token is not valid. Use the link you received after paying, or ask support to send a new one.',
  guest_token_revoked: 'This access token was replaced or revoked. Use the newest link you received, or ask support to send a new one.',
  guest_token_expired: 'This access token has expired. Ask support to send a new one.',
  guest_linked: 'This subscription now belongs to an account: sign in to use it.',
};

/**
 * 401: a guest access token that is missing, unknown, revoked or expired, or whose guest was linked
 * to an account. The body never echoes the token: `{ statusCode: 401, error: 'Unauthorized',
 * message, reason }`.
 */
export class GuestTokenRejectedException extends HttpException {
  constructor(readonly reason: GuestTokenProblem) {
    super({ statusCode: HttpStatus.UNAUTHORIZED, error: 'Unauthorized', message: MESSAGES[reason], reason }, HttpStatus.UNAUTHORIZED);
  }
}
