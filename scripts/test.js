#!/usr/bin/env node
/**
 * `npm test`: checks the toolchain and the services the suite needs, then runs Jest.
 *
 * Jest cannot load Nest 12's ES modules on Node 20, so package.json installs Node 24 (the `node`
 * package) and npm scripts run it from node_modules/.bin; Jest also needs --experimental-vm-modules.
 */
const { spawnSync } = require('node:child_process');
const { readFileSync, rmSync, mkdtempSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`npm test needs Node >= 22 (found ${process.version}). Run it through npm after \`npm install\`, which installs Node 24 into node_modules/.bin.`);
  process.exit(1);
}

function reachable(url, fallbackPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || fallbackPort), timeout: 2000 });
    socket.once('connect', () => resolve(socket.end() && true));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => resolve(socket.destroy() && false));
  });
}

async function main() {
  const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await reachable(databaseUrl, 5432))) {
    console.error(
      `PostgreSQL is not reachable at ${new URL(databaseUrl).host}. The tests run against a real server:\n` +
        `  start one (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or docker compose up -d postgres)\n` +
        `  or point TEST_DATABASE_URL at one (a role that may create databases).`,
    );
    process.exit(1);
  }
  if (!(await reachable(redisUrl, 6379))) {
    console.error(`Redis is not reachable at ${new URL(redisUrl).host} (the rate-limit tests share it between two app instances). Start it: redis-server --daemonize yes --save "" --appendonly no`);
    process.exit(1);
  }
  // The outbox's brokers are tested against the real servers (test/brokers, test/events-consumer, the chaos suite).
  const brokers = [
    ['RabbitMQ', 'amqp://127.0.0.1:5672', 'rabbitmq-server -detached (Debian), or docker compose --profile brokers up -d rabbitmq'],
    ['NATS with JetStream', 'nats://127.0.0.1:4222', 'nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server, or docker compose --profile brokers up -d nats'],
  ];
  for (const [name, url, start] of brokers) {
    if (!(await reachable(url))) {
      console.error(`${name} is not reachable at ${new URL(url).host} (the brokers' tests publish to it and consume from it). Start it: ${start}`);
      process.exit(1);
    }
  }

  const resultsDir = mkdtempSync(join(tmpdir(), 'litestripe-jest-'));
  const resultsFile = join(resultsDir, 'results.json');
  const jest = require.resolve('jest/bin/jest');
  const run = spawnSync(process.execPath, [jest, '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim() },
  });
  try {
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    const skipped = results.numPendingTests + results.numTodoTests;
    console.log(`\nTests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  } catch {
    console.log('\nTests: 0 passed, 1 failed');
  }
  rmSync(resultsDir, { recursive: true, force: true });
  process.exit(run.status ?? 1);
}

main();
