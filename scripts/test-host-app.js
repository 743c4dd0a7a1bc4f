#!/usr/bin/env node
/**
 * `npm run test:host-app`: the package as a user gets it. Packs dist/package, checks what the
 * tarball ships, installs it into a copy of test/host-app (an ESM `nodenext` Nest app with its own
 * package.json and lockfile, no path aliases) in a temporary folder, type-checks that app with
 * `skipLibCheck: false` (nodenext ESM, a CommonJS consumer, and `bundler`), boots it on real
 * PostgreSQL and delivers signed events (smoke.mjs), then runs its own tests under Vitest on the
 * oldest Node the package declares (20.19.0, the app's `node` devDependency) and on Node 24, and
 * under Jest on Node 24 (Jest cannot load Nest 12 on older Nodes).
 */
const { spawnSync } = require('node:child_process');
const { cpSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');

const root = join(__dirname, '..');
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SHIPPED = /^(dist\/.+\.(js|js\.map|d\.ts)|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/;
const NOT_SHIPPED = /(\.spec\.|spec-helpers|test-support|\.tsbuildinfo)/;

const RESOLVE_SUBPATHS = ['health', 'brokers']
  .map((entry) => `{ const url = import.meta.resolve('@litestripe/nestjs/${entry}');
if (!url.endsWith('/node_modules/@litestripe/nestjs/dist/${entry}/index.js')) throw new Error('@litestripe/nestjs/${entry} resolves to ' + url); }`)
  .join('\n');

const work = mkdtempSync(join(tmpdir(), 'litestripe-host-app-'));
const app = join(work, 'app');
const started = Date.now();
const counts = { passed: 0, failed: 0 };

function step(label, command, args, options = {}) {
  const at = Date.now();
  console.log(`\n> ${label}`);
  const run = spawnSync(command, args, { stdio: options.capture ? 'pipe' : 'inherit', encoding: 'utf8', cwd: app, ...options });
  if (run.status !== 0) {
    if (options.capture) process.stderr.write(`${run.stdout}${run.stderr}`);
    throw new Error(`${label} failed (exit ${run.status ?? run.signal})`);
  }
  console.log(`  ok in ${((Date.now() - at) / 1000).toFixed(1)} s`);
  return run.stdout;
}

function checkTarball(files) {
  const paths = files.map((file) => file.path);
  const stray = paths.filter((path) => !SHIPPED.test(path) || NOT_SHIPPED.test(path));
  if (stray.length) throw new Error(`The tarball ships files it should not:\n  ${stray.join('\n  ')}`);
  for (const needed of ['README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts', 'dist/health/index.js', 'dist/health/index.d.ts', 'dist/brokers/index.js', 'dist/brokers/index.d.ts']) {
    if (!paths.includes(needed)) throw new Error(`The tarball lacks ${needed}`);
  }
  console.log(`  ${paths.length} files, all under dist/ or the package's own documents`);
}

function checkSourceMaps(files) {
  const maps = files.filter((file) => file.path.endsWith('.js.map'));
  for (const { path } of maps) {
    const map = JSON.parse(readFileSync(join(root, 'dist', 'package', path), 'utf8'));
    if (!map.sourcesContent || map.sourcesContent.length !== map.sources.length || map.sourcesContent.some((text) => typeof text !== 'string')) {
      throw new Error(`${path} does not carry its sources (sourcesContent)`);
    }
  }
  console.log(`  ${maps.length} source maps carry their sources inline`);
}

/** Adds a runner's JSON results (Vitest and Jest write the same totals) to the closing line, pass or fail. */
function tally(resultsFile, run) {
  rmSync(resultsFile, { force: true });
  try {
    run();
  } finally {
    try {
      const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
      counts.passed += results.numPassedTests;
      counts.failed += results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
    } catch {
      counts.failed += 1; // the runner wrote nothing: it could not even start
    }
  }
}

async function withAdmin(action) {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await action(admin);
  } finally {
    await admin.end();
  }
}

async function main() {
  const database = `litestripe_host_app_${process.pid}`;
  step('build the package', process.execPath, [join(root, 'scripts', 'build-package.js')], { cwd: root });
  const packed = JSON.parse(step('npm pack', 'npm', ['pack', '--json', '--pack-destination', work, join(root, 'dist', 'package')], { cwd: root, capture: true }));
  const { files } = packed[0];
  checkTarball(files);
  checkSourceMaps(files);
  const tarball = join(work, packed[0].filename);

  cpSync(join(root, 'test', 'host-app'), app, { recursive: true, filter: (source) => !/[/\\](node_modules|dist)$/.test(source) });
  step('npm ci (the host app\'s lockfile)', 'npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  step('npm install the tarball', 'npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball]);
  // The app installs neither @nestjs/terminus nor @nestjs/microservices and the NATS client (optional peers): the health and
  // brokers entries must resolve all the same, and the others load without them (smoke.mjs).
  step('resolve @litestripe/nestjs/health and /brokers', process.execPath, ['--input-type=module', '-e', RESOLVE_SUBPATHS]);
  step('type-check: nodenext ESM, a CommonJS consumer, bundler (skipLibCheck: false)', 'npm', ['run', '--silent', 'typecheck']);
  step('build the host app', 'npm', ['run', '--silent', 'build']);

  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).then(() => admin.query(`CREATE DATABASE ${database}`)));
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const env = { ...process.env, DATABASE_URL: url.toString(), NODE_OPTIONS: '' };
  const node20 = join(app, 'node_modules', 'node', 'bin', 'node');
  try {
    const results = join(work, 'results.json');
    for (const [name, node] of [['Node 20.19', node20], ['Node 24', node24]]) {
      step(`boot on PostgreSQL and deliver signed events (${name})`, node, ['smoke.mjs'], { env });
      tally(results, () => step(`Vitest (${name})`, node, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`], { env }));
    }
    // Jest loads Nest 12 (ESM) only through its require(esm) support, which needs Node 24.9+.
    tally(results, () => step('Jest (Node 24)', node24, ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${results}`], { env }));
  } finally {
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
  console.log(`\nThe packed package works in a host app (${((Date.now() - started) / 1000).toFixed(0)} s).`);
}

main()
  .then(() => {
    rmSync(work, { recursive: true, force: true });
    console.log(`\nTests: ${counts.passed} passed, ${counts.failed} failed`);
  })
  .catch((error) => {
    console.error(`\n${error.message}\n(the host app is left in ${app} for a look)`);
    console.log(`\nTests: ${counts.passed} passed, ${counts.failed || 1} failed`);
    process.exit(1);
  });
