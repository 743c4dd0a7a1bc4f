#!/usr/bin/env node
/**
 * `npm run test:browser`: the admin pages driven in a real browser (test/browser). Playwright
 * (playwright-core, which downloads no browser) drives the system's Chromium, so this checks that
 * one is there before Jest starts; then it runs like `npm test` (scripts/test.js: Node 24, the
 * services, the summary line) with the suite's own Jest config.
 */
const { spawnSync } = require('node:child_process');
const { accessSync, constants } = require('node:fs');
const { join } = require('node:path');

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
try {
  accessSync(chromium, constants.X_OK);
} catch {
  console.error(`Chromium is missing: install it with apt-get install -y chromium (Debian), or set CHROMIUM_PATH (looked for ${chromium}).`);
  process.exit(1);
}

const run = spawnSync(process.execPath, [join(__dirname, 'test.js'), '--config', join(__dirname, '..', 'test', 'browser', 'jest.browser.config.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, CHROMIUM_PATH: chromium },
});
process.exit(run.status ?? 1);
