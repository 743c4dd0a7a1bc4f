const { Client } = require('pg');

/** Drops the databases this run's workers created (see testDatabasePrefix in test-database.ts). */
module.exports = async function globalTeardown() {
  const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    const prefix = `litestripe_test_${process.env.LITESTRIPE_TEST_RUN}_`;
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
};
