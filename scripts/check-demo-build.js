#!/usr/bin/env node
/**
 * `npm run test:demo-build`: the quick start's `npm run demo` as built output, not through the
 * tests' TypeScript transform: runs `node dist/apps/demo/src/main.js` (after `npm run build`) on
 * embedded PGlite in sandbox mode until its scripted story is done, signs in to its admin with the
 * token its start-up banner printed, then stops it. Catches what only the build can break (how the
 * package names are rewritten in compiled imports, say). Then the chaos suite's log scan
 * (test/chaos/support/log-scan.ts) reads everything the demo printed: no secret key, webhook
 * secret, signature or email address may appear in any line.
 */
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { createServer } = require('node:net');
const { join } = require('node:path');
// Node strips the file's types (it imports only types, with `import type`): the rules are the chaos suite's own.
const { leakRules, scanLogs } = require('../test/chaos/support/log-scan.ts');

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

/** Every line of a stream, in the order they arrive, numbered over both streams as they were printed. */
function collect(stream, name, lines) {
  let partial = '';
  const push = (text) => lines.push({ instance: `demo ${name}, line ${lines.length + 1}`, stream: name, text });
  stream.on('data', (chunk) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop();
    parts.forEach(push);
  });
  stream.on('end', () => partial && push(partial));
}

/** Signs in as a browser would, with the link the banner printed: the cookie, then the admin's page. */
async function checkAdmin(port, output) {
  const found = /\/admin-login\?token=([\w-]+)/.exec(output);
  if (!found) throw new Error('the start-up banner shows no /admin-login?token=... link');
  const token = found[1];
  if (output.split(token).length !== 2) throw new Error('the admin token was printed more than once');
  const base = `http://127.0.0.1:${port}`;
  if ((await fetch(`${base}/admin`)).status !== 401) throw new Error('/admin answers without the admin token');
  const login = await fetch(`${base}/admin-login?token=${token}`, { redirect: 'manual' });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('admin_token='));
  if (login.status !== 303 || !cookie) throw new Error(`/admin-login answered ${login.status} without the admin_token cookie`);
  const page = await fetch(`${base}/admin/unclaimed`, { headers: { cookie: cookie.split(';')[0] } });
  if (page.status !== 200 || !page.headers.get('content-type')?.startsWith('text/html')) throw new Error(`the admin's unclaimed page answered ${page.status} with the cookie`);
}

async function main() {
  const port = await freePort();
  // Given, rather than made up by the sandbox, so that the scan knows them and looks for them as they are, not only by their shape.
  const secretKey = `sk_test_sandbox${randomBytes(12).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
  const env = { ...process.env, PORT: String(port), NO_COLOR: '1', LITESTRIPE_SANDBOX: '1', STRIPE_SECRET_KEY: secretKey, STRIPE_WEBHOOK_SECRET: webhookSecret };
  // Empty rather than deleted, so that a developer's .env cannot fill them in.
  for (const name of ['DATABASE_URL', 'PGLITE_DATA_DIR', 'STRIPE_WEBHOOK_UUID', 'STRIPE_WEBHOOK_SECRET_FILE', 'DEMO_ADMIN_TOKEN', 'LOG_LEVEL', 'DEMO_QUIET']) env[name] = '';
  const demo = spawn(process.execPath, [join(root, 'dist/apps/demo/src/main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  collect(demo.stdout, 'stdout', lines);
  collect(demo.stderr, 'stderr', lines);
  const exited = new Promise((resolve) => demo.once('close', resolve));
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
    await checkAdmin(port, output);
  } catch (error) {
    console.error(`${output}\nThe built demo failed: ${error.message}`);
    process.exitCode = 1;
  } finally {
    demo.kill('SIGTERM');
  }
  // Its shutdown lines are scanned too; a demo that does not stop is stopped.
  const stuck = setTimeout(() => demo.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(stuck);
  const leaks = scanLogs(lines, leakRules(secretKey, webhookSecret));
  if (leaks.length > 0) {
    // Redacted: the check must not print what it found.
    console.error(`The built demo's output leaks (${leaks.length}):\n${leaks.map((leak) => `  ${leak.instance}: ${leak.rule}: ${leak.excerpt}`).join('\n')}`);
    process.exitCode = 1;
  }
  if (!process.exitCode) console.log(`The built demo ran its sandbox story on port ${port}, opened its admin with the printed token, and printed ${lines.length} lines without a secret or an email.`);
}

main();
