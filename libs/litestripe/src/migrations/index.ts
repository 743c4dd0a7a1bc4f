import { LitestripeInit1764000000000 } from './1764000000000-litestripe-init';
import { LitestripeOutbox1764200000000 } from './1764200000000-litestripe-outbox';

export { LitestripeInit1764000000000, LitestripeOutbox1764200000000 };

/** The module's migrations, in order: add them to your DataSource's `migrations`. */
export const LITESTRIPE_MIGRATIONS = [LitestripeInit1764000000000, LitestripeOutbox1764200000000];
