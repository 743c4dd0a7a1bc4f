import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'pg';
import Stripe from 'stripe';

/**
 * The floor of the webhook benchmark: a bare Node HTTP handler that does the least a correct
 * webhook endpoint must do, verify the signature and record the event idempotently in one
 * statement. Started as a child process by webhook-throughput.ts, with the same environment
 * as the demo (PORT, DATABASE_URL, STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_UUID).
 */

const port = Number(process.env.PORT);
const secret = required('STRIPE_WEBHOOK_SECRET');
const path = `/ls/hook/${required('STRIPE_WEBHOOK_UUID')}`;
const pool = new Pool({ connectionString: required('DATABASE_URL'), max: 10 });

const INSERT = 'INSERT INTO bench_event (id, type, payload) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING';

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST' || request.url !== path) return answer(response, 404, { error: 'not found' });
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  let event: Stripe.Event;
  try {
    event = await Stripe.webhooks.constructEventAsync(raw, request.headers['stripe-signature'] ?? '', secret);
  } catch {
    return answer(response, 400, { error: 'bad signature' });
  }
  try {
    const result = await pool.query(INSERT, [event.id, event.type, raw.toString('utf8')]);
    answer(response, 200, { received: true, outcome: result.rowCount ? 'processed' : 'duplicate' });
  } catch (error) {
    answer(response, 500, { error: error instanceof Error ? error.message : String(error) });
  }
}

function answer(response: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  await pool.query('CREATE TABLE IF NOT EXISTS bench_event (id text PRIMARY KEY, type text, payload jsonb)');
  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (!response.headersSent) answer(response, 500, { error: String(error) });
    });
  });
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
