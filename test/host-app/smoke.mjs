// Boots the built app (dist/main.js) as production would, on real PostgreSQL (DATABASE_URL), with
// Stripe played by the fake Stripe of @litestripe/nestjs/testing (STRIPE_API_BASE), then pays for a
// subscription so the fake sends its signed webhooks, and checks what a customer then sees.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import Stripe from 'stripe';
import { FakeStripe } from '@litestripe/nestjs/testing';

const SECRET_KEY = 'sk_test_HostAppSmoke0123456789';
const WEBHOOK_SECRET = 'whsec_HostAppSmoke0123456789';
const WEBHOOK_UUID = '0b6f9d1e-8d2c-4a57-9f0e-3c1a2b4d5e6f';
// Each run pays as a new account: the same database serves the run on every Node version.
const ACCOUNT = `acct_${randomUUID().replaceAll('-', '')}`;

function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => {
    const { port } = server.address();
    return new Promise((resolve) => server.close(() => resolve(port)));
  });
}

function fail(message) {
  throw new Error(`smoke: ${message}`);
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const fake = await FakeStripe.start({ webhook: { url: `${base}/ls/hook/${WEBHOOK_UUID}`, secret: WEBHOOK_SECRET } });
const app = spawn(process.execPath, ['dist/main.js'], {
  env: { ...process.env, PORT: String(port), STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_WEBHOOK_UUID: WEBHOOK_UUID, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: fake.url },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
app.stdout.on('data', (chunk) => (output += chunk));
try {
  const deadline = Date.now() + 30_000;
  while (!output.includes('listening on')) {
    if (app.exitCode !== null || Date.now() > deadline) fail(`the app did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const price = fake.seedPrice({ lookupKey: 'host_pro_monthly' });
  const stripe = new Stripe(SECRET_KEY, fake.clientConfig());
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    client_reference_id: ACCOUNT,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: `${base}/done`,
  });
  const before = await fetch(`${base}/premium/export`, { headers: { 'x-user': ACCOUNT } });
  if (before.status !== 403) fail(`before paying, /premium/export answered ${before.status}, not 403`);

  fake.completeCheckoutSession(session.id);
  await fake.flushWebhooks();
  const refused = fake.webhookAttempts.filter((attempt) => attempt.status !== 200);
  if (fake.webhookAttempts.length === 0 || refused.length) fail(`webhook deliveries: ${JSON.stringify(fake.webhookAttempts)}`);

  const after = await fetch(`${base}/premium/export`, { headers: { 'x-user': ACCOUNT } });
  if (after.status !== 200) fail(`after paying, /premium/export answered ${after.status}: ${await after.text()}`);
  const stranger = await fetch(`${base}/premium/export`, { headers: { 'x-user': 'acct_other' } });
  if (stranger.status !== 403) fail(`another account got ${stranger.status}, not 403`);
  const forged = await fetch(`${base}/ls/hook/${WEBHOOK_UUID}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=forged' },
    body: '{"id":"evt_forged","object":"event"}',
  });
  if (forged.status !== 400) fail(`a forged signature got ${forged.status}, not 400`);
  if (!output.includes('activated sub_')) fail(`the host's @OnEvent listener did not hear the activation:\n${output}`);
  console.log(`  ${fake.webhookAttempts.length} signed deliveries accepted; the paying account is entitled, others are not; a forged one is refused (${process.version})`);
} finally {
  app.kill('SIGTERM');
  await once(app, 'exit');
  await fake.stop();
}
