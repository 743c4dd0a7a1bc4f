import { Provider } from '@nestjs/common';
import { GuestCheckoutCompletion } from './guest-checkout.completion.js';
import { GuestRecords } from './guest.records.js';
import { GuestTokens } from './guest-tokens.js';

/** Guests' records and the issuing of their access tokens (the guard reads tokens with the read path's `GuestTokenReader`). */
export const guestProviders: Provider[] = [GuestRecords, GuestTokens, GuestCheckoutCompletion];
