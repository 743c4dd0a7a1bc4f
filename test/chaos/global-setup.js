const { spawnSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { writePackageAlias } = require('../../scripts/package-alias');

const root = join(__dirname, '..', '..');

/**
 * Names the run (its databases), and compiles the chaos host (test/chaos/host) into dist/chaos with tsc,
 * where `@litestripe/nestjs` then resolves to the library compiled with it.
 */
module.exports = function globalSetup() {
  process.env.LITESTRIPE_CHAOS_RUN = `${process.pid}${Date.now().toString(36)}`;
  rmSync(join(root, 'dist', 'chaos'), { recursive: true, force: true });
  const started = Date.now();
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(__dirname, 'host', 'tsconfig.json')], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  if (tsc.status !== 0) {
    throw new Error(`Compiling the chaos host failed (tsc -p test/chaos/host/tsconfig.json, exit ${tsc.status ?? tsc.signal}):\n${tsc.stdout}${tsc.stderr}`);
  }
  writePackageAlias(join(root, 'dist', 'chaos'));
  process.stderr.write(`\nchaos: host compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
};
