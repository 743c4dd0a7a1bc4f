#!/usr/bin/env node
/**
 * `npm run build:package`: the publishable package in dist/package (what `npm pack` ships): the
 * library compiled to ES modules with declarations and source maps (sources inlined), its
 * package.json, README, LICENSE and CHANGELOG. The demo builds elsewhere (dist/apps).
 */
const { spawnSync } = require('node:child_process');
const { copyFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'package');

rmSync(out, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'libs/litestripe/tsconfig.lib.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
copyFileSync(join(root, 'libs/litestripe/package.json'), join(out, 'package.json'));
for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) copyFileSync(join(root, file), join(out, file));
console.log(`Package built in ${out}`);
