import { closeAll, credentials, newUser, startTestApp, TestApp } from '../support/test-app';
import { freshStep, totpCode } from '../support/totp';

// Three instances start one after another on one database.
jest.setTimeout(30_000);

const OLD_KEY = 'old-mfa-encryption-key-of-32-characters';
const NEW_KEY = 'new-mfa-encryption-key-of-32-characters';

describe('MFA_ENCRYPTION_KEY rotation (real HTTP, real PostgreSQL)', () => {
  const apps: TestApp[] = [];
  afterAll(() => closeAll(...apps));

  const start = async (env: Record<string, string>, databaseUrl?: string) => {
    const app = await startTestApp({ env: { REGISTRATION_MODE: 'open', ...env }, databaseUrl });
    apps.push(app);
    return app;
  };
  const storedSecret = async (app: TestApp, userId: string) =>
    (await app.db.query('SELECT secret_encrypted FROM totp_credentials WHERE user_id = $1', [userId])).rows[0]
      .secret_encrypted as string;

  it('re-encrypts secrets under the new key at start while the old one is listed as previous, and needs one of them', async () => {
    const step = await freshStep(12_000);
    const before = await start({ MFA_ENCRYPTION_KEY: OLD_KEY });
    const user = newUser();
    const { body } = await before.http.post('/api/auth/register').send(user).expect(201);
    const token = await before.login(user.email, user.password);
    const auth = { Authorization: `Bearer ${token}` };
    const { secret } = (await before.http.post('/api/auth/mfa/totp/setup').set(auth).expect(200)).body;
    await before.http
      .post('/api/auth/mfa/totp/enable')
      .set(auth)
      .send({ code: totpCode(secret, step - 1) })
      .expect(200);
    const underOldKey = await storedSecret(before, body.id);

    // The new key alone cannot read it: the second factor is refused (and the operator told), never a 500.
    const withoutOldKey = await start({ MFA_ENCRYPTION_KEY: NEW_KEY }, before.databaseUrl);
    const refused = await withoutOldKey.http
      .post('/api/auth/login')
      .send({ ...credentials(user), otp: totpCode(secret, step) });
    expect(refused.status).toBe(401);
    expect(await storedSecret(withoutOldKey, body.id)).toBe(underOldKey);

    const rotated = await start(
      { MFA_ENCRYPTION_KEY: NEW_KEY, MFA_ENCRYPTION_KEY_PREVIOUS: OLD_KEY },
      before.databaseUrl,
    );
    const underNewKey = await storedSecret(rotated, body.id);
    expect(underNewKey).not.toBe(underOldKey);
    expect(underNewKey.split('.')[1]).not.toBe(underOldKey.split('.')[1]);
    await rotated.http
      .post('/api/auth/login')
      .send({ ...credentials(user), otp: totpCode(secret, step) })
      .expect(200);
  });
});
