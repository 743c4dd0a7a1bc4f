#!/usr/bin/env node
/**
 * `npm run test:clock`: the time-dependent tests again, with the whole process clock pinned by
 * libfaketime at moments where date arithmetic breaks: the last seconds of a year, the end of a
 * long month, a leap day, and a daylight-saving change in a zone that has one. Each run starts at
 * its moment and lets time flow from there (so the year's last seconds roll over mid-run).
 * PostgreSQL keeps the real time: a decision that mixes its clock with the module's shows here.
 *
 * Which tests: Jest's dependency graph picks every test file that imports one of the three clocks
 * a test can read the date through: the module's (`common/clock.ts`), the tests' (`TestClock`)
 * and the fake Stripe's. No list is kept by hand.
 */
const { spawnSync } = require('node:child_process');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');

const MOMENTS = [
  { at: '2026-12-31 23:59:30', tz: 'UTC', expect: '2026-12-31T23:59:30', why: 'a year ends during the run' },
  { at: '2027-01-31 12:00:00', tz: 'UTC', expect: '2027-01-31T12:00:00', why: 'a 31-day month ends; the next has 28 days' },
  { at: '2028-02-29 12:00:00', tz: 'UTC', expect: '2028-02-29T12:00:00', why: 'a leap day' },
  { at: '2027-03-28 01:30:00', tz: 'Europe/Berlin', expect: '2027-03-28T00:30:00', why: 'clocks in Berlin skip 02:00 to 03:00 half an hour in' },
];

const CLOCK_SOURCES = ['libs/litestripe/src/common/clock.ts', 'test/support/test-clock.ts', 'libs/litestripe/src/testing/fake-stripe/fake-clock.ts'];

const root = join(__dirname, '..');
// The suite waits on PostgreSQL and on real-time limits as much as it computes: more workers than cores pay.
const workers = Math.max(3, availableParallelism() - 1);

function pinnedEnv(moment) {
  // Monotonic time stays real (Node's timers use it); file times stay real (Jest's caches use them).
  return { ...process.env, TZ: moment.tz, FAKETIME_DONT_FAKE_MONOTONIC: '1', NO_FAKE_STAT: '1' };
}

function faketime(moment, args, options = {}) {
  return spawnSync('faketime', ['-f', `@${moment.at}`, process.execPath, ...args], { cwd: root, env: pinnedEnv(moment), ...options });
}

/** The pin really holds: a child process reads the expected instant (else the runs would test today). */
function checkPin(moment) {
  const probe = faketime(moment, ['-e', 'process.stdout.write(new Date().toISOString())'], { encoding: 'utf8' });
  if (probe.error?.code === 'ENOENT') {
    console.error('npm run test:clock needs faketime: apt-get install faketime (Debian, Ubuntu), or brew install libfaketime (macOS).');
    process.exit(1);
  }
  if (probe.status !== 0 || !probe.stdout.startsWith(moment.expect)) {
    console.error(`faketime did not pin the clock at ${moment.at} ${moment.tz}: a child process read ${probe.stdout || probe.stderr}`);
    process.exit(1);
  }
}

const failedMoments = [];
for (const moment of MOMENTS) {
  checkPin(moment);
  console.log(`\n== Process clock pinned at ${moment.at} ${moment.tz} (${moment.why}) ==`);
  const run = faketime(moment, [join(root, 'scripts/test.js'), `--maxWorkers=${workers}`, '--findRelatedTests', ...CLOCK_SOURCES, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) failedMoments.push(`${moment.at} ${moment.tz}`);
}

console.log(failedMoments.length === 0 ? `\nThe time-dependent tests pass at all ${MOMENTS.length} moments.` : `\nThe time-dependent tests fail at: ${failedMoments.join('; ')}`);
process.exit(failedMoments.length === 0 ? 0 : 1);
