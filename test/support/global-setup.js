/** Names this test run, so its databases are told apart from another run's on the same server. */
module.exports = function globalSetup() {
  process.env.LITESTRIPE_TEST_RUN = `${process.pid}${Date.now().toString(36)}`;
};
