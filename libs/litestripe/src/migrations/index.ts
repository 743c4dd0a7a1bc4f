import { LitestripeInit1764000000000 } from './1764000000000-litestripe-init';

export { LitestripeInit1764000000000 };

/** The module's migrations, in order: add them to your DataSource's `migrations`. */
export const LITESTRIPE_MIGRATIONS = [LitestripeInit1764000000000];
