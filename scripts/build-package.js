#!/usr/bin/env node
/**
 * `npm run build:package`: the publishable package in dist/package (what `npm pack` ships): the
 * library compiled to ES modules with declarations and source maps (sources inlined), its
 * package.json, README, LICENSE and CHANGELOG. Every entry of the package's `exports` (`.`,
 * `./testing`, `./health`, `./brokers`) is checked to have been emitted. The demo builds elsewhere (dist/apps).
 */
const { spawnSync } = require('node:child_process');
const { copyFileSync, existsSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'package');

rmSync(out, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'libs/litestripe/tsconfig.lib.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
copyFileSync(join(root, 'libs/litestripe/package.json'), join(out, 'package.json'));
for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) copyFileSync(join(root, file), join(out, file));
const { exports: entries } = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
const targets = Object.values(entries).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
const missing = [...new Set(targets)].filter((target) => !existsSync(join(out, target)));
if (missing.length > 0) {
  console.error(`The build emitted no file for these entries of package.json "exports": ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`Package built in ${out}`);
