const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { Client } = require('pg');

/** Drops this run's databases (whatever the scenarios left) and the compiled host. */
module.exports = async function globalTeardown() {
  const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    const prefix = `litestripe_chaos_${process.env.LITESTRIPE_CHAOS_RUN}_`;
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  rmSync(join(__dirname, '..', '..', 'dist', 'chaos'), { recursive: true, force: true });
};
