import { startTestApp, TestApp } from '../support/test-app';
import { createSubscriber, KamailioInstance, startKamailio } from './kamailio';

/**
 * The app (on a database of its own, with `env`), these subscribers of `domain`, and a Kamailio with the shipped
 * config in front of it: what the specs of route[AUTH]'s edges start before their tests.
 */
export async function startAppWithKamailio(options: {
  domain: string;
  subscribers: Array<[username: string, password: string]>;
  env?: Record<string, string>;
}): Promise<{ t: TestApp; proxy: KamailioInstance }> {
  const t = await startTestApp({ env: options.env ?? {} });
  try {
    for (const [username, password] of options.subscribers) {
      await createSubscriber(t.db, username, password, options.domain);
    }
    return { t, proxy: await startKamailio({ databaseUrl: t.databaseUrl, domain: options.domain }) };
  } catch (error) {
    await t.close();
    throw error;
  }
}
