// Guests' public API; re-exported by the package's index.
export type { GuestOptions } from '../config/guest-options.interface.js';
export type { GuestCheckout } from './guest-checkout.completion.js';
export type { IssuedGuestToken } from './guest-tokens.js';
export { isGuestReference, guestIdOf } from '../common/guest-reference.js';
export { GuestTokenRejectedException, type GuestTokenProblem } from '../errors/guest-token-rejected.exception.js';
export { GuestTokenAttemptsException } from '../errors/guest-token-attempts.exception.js';
