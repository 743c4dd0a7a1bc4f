import { LitestripeConfigError } from '../errors/litestripe-config.error.js';

/** The `LitestripeConfigError` that `resolve` throws; fails the test when it throws something else or nothing. */
export function configRefusal(resolve: () => unknown): LitestripeConfigError {
  try {
    resolve();
  } catch (error) {
    expect(error).toBeInstanceOf(LitestripeConfigError);
    return error as LitestripeConfigError;
  }
  throw new Error('the options were accepted');
}
