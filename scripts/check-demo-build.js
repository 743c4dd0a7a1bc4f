#!/usr/bin/env node
/**
 * `npm run test:demo-build`: the quick start's `npm run demo` as built output, not through the
 * tests' TypeScript transform: runs `node dist/apps/demo/src/main.js` (after `npm run build`) on
 * embedded PGlite in sandbox mode until its scripted story is done, then stops it. Catches what
 * only the build can break (how the package names are rewritten in compiled imports, say).
 */
const { spawn } = require('node:child_process');
const { createServer } = require('node:net');
const { join } = require('node:path');

const root = join(__dirname, '..');
const TIMEOUT_MS = 90_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function main() {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), NO_COLOR: '1' };
  for (const name of ['DATABASE_URL', 'STRIPE_SECRET_KEY', 'LITESTRIPE_SANDBOX', 'PGLITE_DATA_DIR']) delete env[name];
  const demo = spawn(process.execPath, [join(root, 'dist/apps/demo/src/main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Sandbox done" within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    const read = (chunk) => {
      output += chunk;
      if (output.includes('Sandbox done')) resolve(clearTimeout(timer));
    };
    demo.stdout.on('data', read);
    demo.stderr.on('data', read);
    demo.once('exit', (code, signal) => reject(new Error(`the demo exited (${code ?? signal}) before its story was done`)));
  });
  try {
    await done;
    if (/Sandbox lifecycle failed|ERROR/.test(output)) throw new Error('the demo logged an error');
    console.log(`The built demo ran its sandbox story on port ${port}.`);
  } catch (error) {
    console.error(`${output}\nThe built demo failed: ${error.message}`);
    process.exitCode = 1;
  } finally {
    demo.kill('SIGTERM');
  }
}

main();
