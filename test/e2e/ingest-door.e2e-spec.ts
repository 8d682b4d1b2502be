import { AddressInfo, connect, Socket } from 'node:net';
import { doorKnock, failedRegistration } from '../support/sip-events';
import { ADMIN, newUser, useTestApp } from '../support/test-app';

/**
 * Issue 3 of the hardening list: a 16 MiB body to an ingest route without a key was read and parsed before
 * the 401, so a few such clients stalled the service. The caller is now checked from the headers alone.
 */
const API_KEY = 'proxy-key-0123456789abcdef';
const ANNOUNCED_BYTES = 16 * 1024 * 1024;
/** Far longer than an answer from the headers takes, far shorter than Jest's timeout. */
const NO_ANSWER_MS = 10_000;

interface EarlyAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

/**
 * Sends a request's head announcing `bodyBytes` (or a chunked body) and only the first bytes of that body,
 * then waits for the answer: one that comes at all came before the body was complete.
 */
function answerBeforeBody(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: { chunked: boolean } = { chunked: false },
): Promise<EarlyAnswer> {
  const socket: Socket = connect(port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const length: Record<string, string> = body.chunked
    ? { 'Transfer-Encoding': 'chunked' }
    : { 'Content-Length': String(ANNOUNCED_BYTES) };
  const head = Object.entries({ Host: '127.0.0.1', 'Content-Type': 'application/json', ...length, ...headers })
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  const firstBytes = `[${JSON.stringify(doorKnock('192.0.2.10'))},`;
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n\r\n`);
  socket.write(body.chunked ? `${firstBytes.length.toString(16)}\r\n${firstBytes}\r\n` : firstBytes);
  // The server may close its side once it has answered; writing nothing more, the client just reads.
  socket.on('error', () => undefined);

  return new Promise<EarlyAnswer>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${NO_ANSWER_MS} ms while the body was still being sent`));
    }, NO_ANSWER_MS);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const text = received.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const answerHeaders = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      const bodyText = text.slice(end + 4);
      if (Buffer.byteLength(bodyText) < Number(answerHeaders['content-length'] ?? 0)) return;
      clearTimeout(timer);
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: answerHeaders,
        body: JSON.parse(bodyText) as unknown,
        closed,
      });
    });
  });
}

describe("The proxy's ingest routes check the caller before reading the body", () => {
  const t = useTestApp({
    env: { SIP_INGEST_API_KEY: API_KEY, TRUST_PROXY: 'loopback', API_KEY_RATE_LIMIT: '2', API_KEY_RATE_TTL: '60' },
  });
  let port: number;
  let adminToken: string;

  beforeAll(async () => {
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    adminToken = await t.login(ADMIN.email, ADMIN.password);
  });

  it.each([
    '/api/sip-security/door-knocks',
    '/api/sip-security/failed-registrations',
    '/api/sip-security/registrations',
  ])(
    'answers a 16 MiB body without credentials on %s with 401 before the body is sent, and closes the connection',
    async (path) => {
      const answer = await answerBeforeBody(port, path, {});
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' });
      expect(answer.headers.connection).toBe('close');
      await answer.closed;
    },
  );

  it('answers 401, not 413, to a caller without credentials announcing more than 16 MiB', async () => {
    const answer = await answerBeforeBody(port, '/api/sip-security/door-knocks', {
      'Content-Length': String(ANNOUNCED_BYTES + 1),
    });
    expect(answer.status).toBe(401);
  });

  it('answers a chunked body without credentials with 401 before the body is sent', async () => {
    const answer = await answerBeforeBody(port, '/api/sip-security/door-knocks', {}, { chunked: true });
    expect(answer.status).toBe(401);
    await answer.closed;
  });

  it('refuses a wrong key before the body (logged and counted), then the blocked client with 429', async () => {
    const wrongKey = { 'X-Api-Key': 'guess-0123456789abcdef', 'X-Forwarded-For': '198.51.100.30' };
    for (let i = 0; i < 2; i++) {
      const answer = await answerBeforeBody(port, '/api/sip-security/door-knocks', wrongKey);
      expect(answer.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid API key' });
    }
    const blocked = await answerBeforeBody(port, '/api/sip-security/door-knocks', wrongKey);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const rejected = t.securityEvents().filter((event) => event.event === 'api_key_rejected');
    expect(rejected).toEqual([
      expect.objectContaining({ ip: '198.51.100.30', method: 'POST', path: '/api/sip-security/door-knocks' }),
      expect.objectContaining({ ip: '198.51.100.30', method: 'POST', path: '/api/sip-security/door-knocks' }),
    ]);
    // The right key from the blocked client is refused too, as the guard refuses it.
    const rightKeyWhileBlocked = await answerBeforeBody(port, '/api/sip-security/door-knocks', {
      ...wrongKey,
      'X-Api-Key': API_KEY,
    });
    expect(rightKeyWhileBlocked.status).toBe(429);
  });

  it("answers a token that is not a superuser's with 403 before the body", async () => {
    const user = newUser();
    await t.http.post('/api/auth/register').send(user).expect(201);
    const { rows } = await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [user.email]);
    await t.http.post(`/api/admin/users/${rows[0].id}/activate`).set('Authorization', `Bearer ${adminToken}`);
    const userToken = await t.login(user.email, user.password);
    const answer = await answerBeforeBody(port, '/api/sip-security/door-knocks', {
      Authorization: `Bearer ${userToken}`,
    });
    expect(answer.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Admin privileges required' });
  });

  it('refuses an unknown caller whatever the size of its body, 100 KiB and less included', async () => {
    const big = JSON.stringify(
      Array.from({ length: 1000 }, (_, i) => failedRegistration(`192.0.2.${i % 250}`, { user_agent: 'x'.repeat(200) })),
    );
    expect(big.length).toBeGreaterThan(100 * 1024);
    for (const body of [big, JSON.stringify(failedRegistration('192.0.2.1'))]) {
      await t.http
        .post('/api/sip-security/failed-registrations')
        .set('Content-Type', 'application/json')
        .send(body)
        .expect(401);
    }
    const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM failed_registrations');
    expect(rows[0].n).toBe(0);
  });

  it("still takes a large batch with the right key, and with a superuser's token", async () => {
    const batch = Array.from({ length: 5000 }, (_, i) =>
      doorKnock(`198.18.${Math.floor(i / 250)}.${i % 250}`, { user_agent: 'y'.repeat(500) }),
    );
    const body = JSON.stringify(batch);
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    const withKey = await t.http
      .post('/api/sip-security/door-knocks')
      .set('X-Api-Key', API_KEY)
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(202);
    expect(withKey.body).toEqual({ accepted: 5000, ignored: 0 });
    const withToken = await t.http
      .post('/api/sip-security/door-knocks')
      .set('Authorization', `Bearer ${adminToken}`)
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(202);
    expect(withToken.body).toEqual({ accepted: 5000, ignored: 0 });
  });

  it('answers a known caller announcing more than 16 MiB with 413 before the body', async () => {
    const answer = await answerBeforeBody(port, '/api/sip-security/door-knocks', {
      'X-Api-Key': API_KEY,
      'Content-Length': String(ANNOUNCED_BYTES + 1),
    });
    expect(answer.status).toBe(413);
  });
});
