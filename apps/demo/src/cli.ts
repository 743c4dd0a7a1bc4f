import { Logger } from '@nestjs/common';
import { runDemoSync } from './cli/demo-sync';

/** `npm run litestripe -- sync <backfill|replay|subscription <id>|customer <id>> [--days 30]` */
runDemoSync(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    new Logger('Demo').fatal(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
