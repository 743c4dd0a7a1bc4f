import { randomBytes } from 'node:crypto';

/** Where the demo mounts LitestripeAdminModule: pages at /admin, its JSON API at /admin/api/... */
export const DEMO_ADMIN_PATH = 'admin';

const MIN_LENGTH = 16;

/**
 * The demo admin's token: `DEMO_ADMIN_TOKEN` when set; otherwise a random one made for this run and
 * put into the environment, where DemoAdminGuard reads it. `generated` says whether to print it: the
 * start-up banner shows a made-up token once, never one the operator chose.
 */
export function prepareAdminToken(env: NodeJS.ProcessEnv = process.env): { token: string; generated: boolean } {
  const chosen = env.DEMO_ADMIN_TOKEN?.trim();
  if (chosen) {
    if (chosen.length < MIN_LENGTH) {
      throw new Error(`DEMO_ADMIN_TOKEN is shorter than ${MIN_LENGTH} characters: give a longer one (e.g. openssl rand -base64 24), or leave it empty for a random one.`);
    }
    return { token: chosen, generated: false };
  }
  env.DEMO_ADMIN_TOKEN = randomBytes(24).toString('base64url');
  return { token: env.DEMO_ADMIN_TOKEN, generated: true };
}

/** The token DemoAdminGuard accepts; null (nobody gets in) when prepareAdminToken() did not run, as in the CLI. */
export function demoAdminToken(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.DEMO_ADMIN_TOKEN?.trim() || null;
}
