import { COMMON_PASSWORDS, expectCommonPasswordRefused } from '../support/passwords';
import { newUser, startTestApp, TestApp } from '../support/test-app';

describe('PASSWORD_BLOCKLIST (real HTTP, real PostgreSQL)', () => {
  describe('on (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { REGISTER_RATE_LIMIT: '1000' } });
    });
    afterAll(() => t.close());

    it.each(COMMON_PASSWORDS)('refuses %s at sign-up with 422, in any letter case', async (password) => {
      for (const variant of [password, swapCase(password)]) {
        expectCommonPasswordRefused(await t.http.post('/api/auth/register').send(newUser({ password: variant })));
      }
    });

    it('still applies the composition rules, and accepts a password off the list', async () => {
      const weak = await t.http
        .post('/api/auth/register')
        .send(newUser({ password: 'password' }))
        .expect(422);
      expect(weak.body.message).toEqual([
        'password must contain an upper-case letter; password must contain a digit; ' +
          'password is too common: it is on a list of leaked passwords',
      ]);
      await t.http
        .post('/api/auth/register')
        .send(newUser({ password: 'Sturdy-Pass-42' }))
        .expect(201);
    });
  });

  describe('off', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { REGISTER_RATE_LIMIT: '1000', PASSWORD_BLOCKLIST: 'off' } });
    });
    afterAll(() => t.close());

    it('accepts a listed password that passes the composition rules', async () => {
      await t.http
        .post('/api/auth/register')
        .send(newUser({ password: 'Password123' }))
        .expect(201);
    });
  });
});

function swapCase(text: string): string {
  return [...text].map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('');
}
