#!/usr/bin/env node
/**
 * `node scripts/package-alias.js <outDir>`: lets JavaScript that tsc compiled together with the
 * library into <outDir> (the benches' bench/dist, the chaos host's dist/chaos) import the library
 * by its package names at run time, as a host does. The repo's tsconfig `paths` map
 * `@litestripe/nestjs` and its subpaths (`/testing`, `/health`, `/brokers`) to the sources for the compiler only
 * (tsc does not rewrite them), so this writes <outDir>/node_modules/@litestripe/nestjs, whose entries
 * re-export the library compiled beside the code (<outDir>/libs/litestripe/src).
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

function writePackageAlias(outDir) {
  const dir = join(resolve(outDir), 'node_modules', '@litestripe', 'nestjs');
  mkdirSync(dir, { recursive: true });
  const manifest = { name: '@litestripe/nestjs', private: true, exports: { '.': './index.js', './testing': './testing.js', './health': './health.js', './brokers': './brokers.js' } };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'index.js'), "module.exports = require('../../../libs/litestripe/src/index.js');\n");
  writeFileSync(join(dir, 'testing.js'), "module.exports = require('../../../libs/litestripe/src/testing/index.js');\n");
  writeFileSync(join(dir, 'health.js'), "module.exports = require('../../../libs/litestripe/src/health/index.js');\n");
  writeFileSync(join(dir, 'brokers.js'), "module.exports = require('../../../libs/litestripe/src/brokers/index.js');\n");
  return dir;
}

module.exports = { writePackageAlias };

if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: node scripts/package-alias.js <outDir>');
    process.exit(2);
  }
  writePackageAlias(outDir);
}
