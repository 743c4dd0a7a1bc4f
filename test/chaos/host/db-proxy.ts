import { TcpProxy } from '../../support/tcp-proxy';

/**
 * test/support/tcp-proxy.ts as a process of its own, for the outage scenario: in the test process
 * it would share one event loop with the load generator, and every database round trip of the
 * hosts would wait for that loop. Commands over IPC: `stop` (drop every connection, refuse new
 * ones) and `start` (listen again on the same port); each is answered once done.
 *
 * Environment: TARGET_HOST, TARGET_PORT.
 */
const proxy = new TcpProxy(process.env.TARGET_HOST ?? '127.0.0.1', Number(process.env.TARGET_PORT ?? 5432));

process.on('message', (message: { cmd?: string }) => {
  const reply = (type: string) => process.send?.({ type, port: proxy.port });
  if (message?.cmd === 'stop') void proxy.stop().then(() => reply('stopped'));
  if (message?.cmd === 'start') void proxy.start().then(() => reply('started'));
});
process.on('disconnect', () => process.exit(0));

void proxy.start().then(() => process.send?.({ type: 'started', port: proxy.port }));
