import { ADMIN, closeAll, startTestApp, TestApp } from '../support/test-app';
import { COMMON_PASSWORDS, expectCommonPasswordRefused } from '../support/passwords';
import { linkIn, SmtpSink } from '../support/smtp-sink';
import { mailTo, sleep } from '../support/wait';

jest.setTimeout(120_000);

const PUBLIC_URL = 'https://shield.example';
const BASE_ENV = {
  MAIL_POLL_INTERVAL_MS: '100',
  REGISTER_RATE_LIMIT: '1000',
  LOGIN_RATE_LIMIT: '1000',
  ADMIN_NOTIFY: 'off',
  PUBLIC_URL,
};

let counter = 0;
function newAddress(): string {
  counter += 1;
  return `invitee${counter}-${Date.now()}@example.com`;
}

function invite(t: TestApp, token: string, email: string, isSuperuser?: boolean) {
  const body = isSuperuser === undefined ? { email } : { email, is_superuser: isSuperuser };
  return t.http.post('/api/admin/invitations').set('Authorization', `Bearer ${token}`).send(body);
}

async function tokenFromMail(sink: SmtpSink, email: string, count = 1): Promise<string> {
  return linkIn(await mailTo(sink, email, 'You are invited', count), '/accept-invite').token;
}

describe('Invitations, followed from the e-mail over real SMTP', () => {
  const sink = new SmtpSink();
  let adminOnly: TestApp;
  let approval: TestApp;
  let shortLived: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    await sink.start();
    adminOnly = await startTestApp({ env: { ...BASE_ENV, SMTP_URL: sink.url, REGISTRATION_MODE: 'admin_only' } });
    approval = await startTestApp({ env: { ...BASE_ENV, SMTP_URL: sink.url, REGISTRATION_MODE: 'approval' } });
    shortLived = await startTestApp({
      env: { ...BASE_ENV, SMTP_URL: sink.url, REGISTRATION_MODE: 'open', INVITATION_TTL: '1' },
    });
    adminToken = await adminOnly.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await closeAll(adminOnly, approval, shortLived);
    await sink.stop();
  });

  it('admin_only: invite → e-mail → accept → an active, verified account that logs in; the link works once', async () => {
    const email = newAddress();
    const created = await invite(adminOnly, adminToken, email).expect(201);
    expect(created.body).toMatchObject({ email, is_superuser: false, status: 'pending' });
    expect(Object.keys(created.body).sort()).toEqual(
      ['created_at', 'email', 'expires_at', 'id', 'invited_by', 'is_superuser', 'status'].sort(),
    );

    const mail = await mailTo(sink, email, 'You are invited');
    expect(mail.raw).toContain('Content-Type: text/plain');
    expect(mail.raw).toContain('Content-Type: text/html');
    const { url, token } = linkIn(mail, '/accept-invite');
    expect(url.startsWith(`${PUBLIC_URL}/accept-invite?token=`)).toBe(true);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);

    const accepted = await adminOnly.http
      .post('/api/auth/invitations/accept')
      .send({ token, password: 'Invited1234', full_name: '  Ivy Invited  ' })
      .expect(201);
    expect(accepted.body).toMatchObject({
      email,
      full_name: 'Ivy Invited',
      is_active: true,
      status: 'active',
      is_superuser: false,
      email_verified: true,
    });
    const bearer = await adminOnly.login(email, 'Invited1234');
    await adminOnly.http.get('/api/auth/me').set('Authorization', `Bearer ${bearer}`).expect(200);

    const again = await adminOnly.http
      .post('/api/auth/invitations/accept')
      .send({ token, password: 'Another1234', full_name: 'Someone Else' })
      .expect(400);
    expect(again.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Invalid or expired token' });

    const listed = await adminOnly.http
      .get('/api/admin/invitations')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(200);
    expect(listed.headers['x-total-count']).toBeDefined();
    expect(listed.body.find((row: { id: string }) => row.id === created.body.id)).toMatchObject({
      status: 'accepted',
    });
    expect(JSON.stringify(listed.body)).not.toContain(token);

    const { rows: stored } = await adminOnly.db.query<{ token_hash: Buffer; accepted_user_id: string }>(
      'SELECT token_hash, accepted_user_id FROM invitations WHERE id = $1',
      [created.body.id],
    );
    expect(stored[0].token_hash.toString('base64url')).not.toBe(token);
    expect(stored[0].accepted_user_id).toBe(accepted.body.id);

    const { rows: audit } = await adminOnly.db.query<{
      event: string;
      actor_id: string;
      details: Record<string, unknown>;
    }>(
      `SELECT event, actor_id, details FROM audit_events
        WHERE details->>'invitation_id' = $1 ORDER BY id`,
      [created.body.id],
    );
    const adminId = created.body.invited_by as string;
    expect(audit).toEqual([
      expect.objectContaining({ event: 'invitation_created', actor_id: adminId }),
      expect.objectContaining({
        event: 'user_created',
        actor_id: adminId,
        details: expect.objectContaining({ via: 'invitation', email }),
      }),
    ]);
    expect(adminOnly.securityLogText()).not.toContain(token);
  });

  it('approval mode: the invited account is active at once; a superuser invitation gives a superuser', async () => {
    const approvalAdmin = await approval.login(ADMIN.email, ADMIN.password);
    const email = newAddress();
    await invite(approval, approvalAdmin, email, true).expect(201);
    const token = await tokenFromMail(sink, email);
    const accepted = await approval.http
      .post('/api/auth/invitations/accept')
      .send({ token, password: 'Invited1234', full_name: 'Ada Admin' })
      .expect(201);
    expect(accepted.body).toMatchObject({ status: 'active', is_superuser: true });
    const bearer = await approval.login(email, 'Invited1234');
    await approval.http.get('/api/admin/invitations').set('Authorization', `Bearer ${bearer}`).expect(200);
  });

  it('a revoked invitation, and one replaced by a newer invitation, answer 400', async () => {
    const email = newAddress();
    const first = await invite(adminOnly, adminToken, email).expect(201);
    const firstToken = await tokenFromMail(sink, email);
    await invite(adminOnly, adminToken, email).expect(201);
    const secondToken = await tokenFromMail(sink, email, 2);

    const body = { password: 'Invited1234', full_name: 'Rex Voked' };
    await adminOnly.http
      .post('/api/auth/invitations/accept')
      .send({ ...body, token: firstToken })
      .expect(400);
    const listed = await adminOnly.http
      .get('/api/admin/invitations')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(200);
    expect(listed.body.find((row: { id: string }) => row.id === first.body.id).status).toBe('revoked');

    const second = listed.body.find(
      (row: { email: string; status: string }) => row.email === email && row.status === 'pending',
    );
    await adminOnly.http
      .delete(`/api/admin/invitations/${second.id}`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(204);
    await adminOnly.http
      .delete(`/api/admin/invitations/${second.id}`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(409);
    await adminOnly.http
      .post('/api/auth/invitations/accept')
      .send({ ...body, token: secondToken })
      .expect(400);
    const { rows } = await adminOnly.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(0);
    const { rows: audit } = await adminOnly.db.query(
      `SELECT 1 FROM audit_events WHERE event = 'invitation_revoked' AND details->>'invitation_id' = $1`,
      [second.id],
    );
    expect(audit).toHaveLength(1);
  });

  it('an expired invitation answers 400 and is listed as expired', async () => {
    const shortAdmin = await shortLived.login(ADMIN.email, ADMIN.password);
    const email = newAddress();
    const created = await invite(shortLived, shortAdmin, email).expect(201);
    const token = await tokenFromMail(sink, email);
    await sleep(1100);
    const refused = await shortLived.http
      .post('/api/auth/invitations/accept')
      .send({ token, password: 'Invited1234', full_name: 'Lou Late' })
      .expect(400);
    expect(refused.body.message).toBe('Invalid or expired token');
    const listed = await shortLived.http
      .get('/api/admin/invitations')
      .set('Authorization', `Bearer ${shortAdmin}`)
      .expect(200);
    expect(listed.body.find((row: { id: string }) => row.id === created.body.id).status).toBe('expired');
  });

  it('an invitation stops working once its admin is demoted', async () => {
    const deputy = { email: newAddress(), password: 'Deputy1234' };
    await invite(adminOnly, adminToken, deputy.email, true).expect(201);
    const deputyInvitation = await tokenFromMail(sink, deputy.email);
    const created = await adminOnly.http
      .post('/api/auth/invitations/accept')
      .send({ token: deputyInvitation, password: deputy.password, full_name: 'Dee Puty' })
      .expect(201);
    const deputyToken = await adminOnly.login(deputy.email, deputy.password);
    const email = newAddress();
    await invite(adminOnly, deputyToken, email, true).expect(201);
    const token = await tokenFromMail(sink, email);
    await adminOnly.http
      .post(`/api/admin/users/${created.body.id}/demote`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(200);
    await adminOnly.http
      .post('/api/auth/invitations/accept')
      .send({ token, password: 'Invited1234', full_name: 'Left Over' })
      .expect(400);
    const { rows } = await adminOnly.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(0);
  });

  it('parallel invitations to one address leave exactly one pending', async () => {
    const email = newAddress();
    const responses = await Promise.all(Array.from({ length: 5 }, () => invite(adminOnly, adminToken, email)));
    expect(responses.map((response) => response.status)).toEqual(Array<number>(5).fill(201));
    const { rows } = await adminOnly.db.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM invitations
        WHERE email = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()`,
      [email],
    );
    expect(rows[0].pending).toBe(1);
  });

  it('ten parallel accepts of one link make exactly one account', async () => {
    const email = newAddress();
    await invite(adminOnly, adminToken, email).expect(201);
    const token = await tokenFromMail(sink, email);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        adminOnly.http
          .post('/api/auth/invitations/accept')
          .send({ token, password: 'Invited1234', full_name: `Racer ${index}` }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, ...Array<number>(9).fill(400)]);
    const { rows } = await adminOnly.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(1);
  });

  it('409 for an address with an account, at invitation and at acceptance', async () => {
    await invite(adminOnly, adminToken, ADMIN.email).expect(409);
    const email = newAddress();
    await invite(adminOnly, adminToken, email).expect(201);
    const token = await tokenFromMail(sink, email);
    await adminOnly.http
      .post('/api/auth/register')
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ email, password: 'Valid1234', full_name: 'Made Meanwhile' })
      .expect(201);
    const refused = await adminOnly.http
      .post('/api/auth/invitations/accept')
      .send({ token, password: 'Invited1234', full_name: 'Too Late' })
      .expect(409);
    expect(refused.body.message).toBe('Email already registered');
  });

  it('validation: bad bodies are 422 and change nothing; the password rules and blocklist apply', async () => {
    const badInvitations = [
      {},
      { email: 'not-an-address' },
      { email: newAddress(), is_superuser: 'yes' },
      { email: newAddress(), role: 'admin' },
    ];
    for (const body of badInvitations) {
      await adminOnly.http
        .post('/api/admin/invitations')
        .set('Authorization', `Bearer ${adminToken}`)
        .send(body)
        .expect(422);
    }
    const { rows: none } = await adminOnly.db.query(`SELECT 1 FROM invitations WHERE email = ANY($1)`, [
      badInvitations.map((body) => ('email' in body ? body.email : '')),
    ]);
    expect(none).toHaveLength(0);
    const email = newAddress();
    await invite(adminOnly, adminToken, email).expect(201);
    const token = await tokenFromMail(sink, email);
    const accept = (body: Record<string, unknown>) => adminOnly.http.post('/api/auth/invitations/accept').send(body);
    await accept({ token, password: 'short', full_name: 'Weak Pass' }).expect(422);
    await accept({ token, password: 'Invited1234', full_name: 'Bad\u202EName' }).expect(422);
    await accept({ token, password: 'Invited1234', full_name: '' }).expect(422);
    await accept({ token, password: 'Invited1234', full_name: 'Extra Field', is_superuser: true }).expect(422);
    await accept({ password: 'Invited1234', full_name: 'No Token' }).expect(422);
    for (const password of COMMON_PASSWORDS) {
      expectCommonPasswordRefused(await accept({ token, password, full_name: 'Common Pass' }));
    }
    await accept({ token, password: 'Invited1234', full_name: 'Finally Fine' }).expect(201);
  });

  it('non-admins get 403, anonymous callers 401, malformed and unknown ids 404', async () => {
    const email = newAddress();
    await invite(adminOnly, adminToken, email).expect(201);
    const token = await tokenFromMail(sink, email);
    await adminOnly.http
      .post('/api/auth/invitations/accept')
      .send({ token, password: 'Invited1234', full_name: 'Plain User' })
      .expect(201);
    const userToken = await adminOnly.login(email, 'Invited1234');
    const denied = await invite(adminOnly, userToken, newAddress()).expect(403);
    expect(denied.body.message).toBe('Admin privileges required');
    await adminOnly.http.get('/api/admin/invitations').set('Authorization', `Bearer ${userToken}`).expect(403);
    await adminOnly.http.post('/api/admin/invitations').send({ email: newAddress() }).expect(401);
    await adminOnly.http
      .delete('/api/admin/invitations/not-a-uuid')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(404);
    await adminOnly.http
      .delete('/api/admin/invitations/00000000-0000-4000-8000-000000000000')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(404);
    await adminOnly.http.get('/api/admin/invitations?limit=0').set('Authorization', `Bearer ${adminToken}`).expect(422);
  });

  it('documents the routes, their answers and the invitation without its token at /docs-json', async () => {
    const document = (await adminOnly.http.get('/docs-json').expect(200)).body;
    const routes = [
      ['post', '/api/admin/invitations', ['201', '401', '403', '409', '422']],
      ['get', '/api/admin/invitations', ['200', '401', '403', '422']],
      ['delete', '/api/admin/invitations/{id}', ['204', '401', '403', '404', '409']],
      ['post', '/api/auth/invitations/accept', ['201', '400', '409', '422', '429']],
    ] as const;
    for (const [method, path, statuses] of routes) {
      const operation = document.paths[path]?.[method];
      expect({ path, documented: Boolean(operation) }).toEqual({ path, documented: true });
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining([...statuses]));
    }
    expect(document.paths['/api/admin/invitations'].get.responses['200'].headers['X-Total-Count']).toBeDefined();
    const fields = (schema: string) => Object.keys(document.components.schemas[schema].properties).sort();
    expect(fields('CreateInvitationDto')).toEqual(['email', 'is_superuser']);
    expect(fields('AcceptInvitationDto')).toEqual(['full_name', 'password', 'token']);
    expect(fields('InvitationResponseDto')).toEqual(
      ['created_at', 'email', 'expires_at', 'id', 'invited_by', 'is_superuser', 'status'].sort(),
    );
  });

  describe('the per-IP limit (REGISTER_RATE_LIMIT=2)', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await startTestApp({
        env: { ...BASE_ENV, SMTP_URL: sink.url, REGISTRATION_MODE: 'open', REGISTER_RATE_LIMIT: '2' },
      });
    });
    afterAll(() => closeAll(limited));

    it('limits acceptances per client address like sign-ups, counted apart from them', async () => {
      const body = { token: 'no-such-token', password: 'Invited1234', full_name: 'Guess Work' };
      for (let attempt = 0; attempt < 2; attempt += 1) {
        await limited.http.post('/api/auth/invitations/accept').send(body).expect(400);
      }
      const refused = await limited.http.post('/api/auth/invitations/accept').send(body).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      await limited.http
        .post('/api/auth/register')
        .send({ email: newAddress(), password: 'Valid1234', full_name: 'Still Welcome' })
        .expect(201);
    });
  });
});
