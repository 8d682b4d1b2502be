import { Client } from 'pg';
import { ADMIN, closeAll, startTestApp, useTestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

describe('HTTP platform: errors, limits, headers, OpenAPI, health', () => {
  const t = useTestApp();

  it('answers malformed JSON with 400 in the contract shape', async () => {
    const response = await t.http
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email":')
      .expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
  });

  it('answers a body over 100 KiB with 413', async () => {
    const response = await t.http
      .post('/api/auth/register')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@example.com', password: 'Test1234', full_name: 'x'.repeat(110 * 1024) }))
      .expect(413);
    expect(response.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('answers an unsupported content type with 415', async () => {
    const response = await t.http.post('/api/auth/login').set('Content-Type', 'text/plain').send('hello').expect(415);
    expect(response.body.statusCode).toBe(415);
  });

  it('answers a form-encoded body with 415 too', async () => {
    await t.http
      .post('/api/auth/login')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('email=a@example.com&password=x')
      .expect(415);
  });

  it('answers an unknown route with 404 in the contract shape', async () => {
    const response = await t.http.get('/api/nothing-here').expect(404);
    expect(response.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('sets security headers (helmet)', async () => {
    const response = await t.http.get('/health').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('sets every helmet header on Swagger UI pages, and only those that act on JSON on API answers', async () => {
    const page = await t.http.get('/docs').redirects(1).expect(200);
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const json = await t.http.get('/health').expect(200);
    expect(json.headers['cross-origin-opener-policy']).toBeUndefined();
    expect(json.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await t.http.get('/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger');
  });

  it('documents every route with its schemas, errors and security at /docs-json', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const routes = [
      ['post', '/api/auth/register', ['201', '409', '422', '429']],
      ['post', '/api/auth/login', ['200', '401', '403', '422', '429']],
      ['get', '/api/auth/me', ['200', '401']],
      ['post', '/api/auth/refresh', ['200', '401', '422']],
      ['post', '/api/auth/logout', ['204', '401']],
      ['get', '/api/auth/sessions', ['200', '401']],
      ['delete', '/api/auth/sessions/{id}', ['204', '401', '404']],
      ['get', '/api/admin/users/{id}/sessions', ['200', '401', '403', '404']],
      ['delete', '/api/admin/users/{id}/sessions', ['204', '401', '403', '404']],
      ['get', '/api/admin/users', ['200', '401', '403', '422']],
      ['get', '/api/admin/users/inactive', ['200', '401', '403', '422']],
      ['post', '/api/admin/users/{id}/activate', ['200', '401', '403', '404']],
      ['post', '/api/admin/users/{id}/deactivate', ['200', '400', '401', '403', '404']],
      ['post', '/api/admin/users/{id}/promote', ['200', '400', '401', '403', '404']],
      ['post', '/api/admin/users/{id}/demote', ['200', '400', '401', '403', '404']],
      ['get', '/health', ['200', '503']],
      ['post', '/api/sip-security/failed-registrations', ['202', '401', '403', '413', '422']],
      ['post', '/api/sip-security/door-knocks', ['202', '401', '403', '413', '422']],
      ['get', '/api/sip-security/failed-registrations', ['200', '401', '403', '422']],
      ['get', '/api/sip-security/door-knocks', ['200', '401', '403', '422']],
      ['get', '/api/sip-security/stats', ['200', '401', '403', '422']],
      ['get', '/api/sip-security/stats/timeline', ['200', '401', '403', '422']],
      ['get', '/api/sip-security/bans', ['200', '401', '403', '422']],
      ['get', '/api/sip-security/bans/{id}', ['200', '401', '403', '404']],
      ['get', '/api/sip-security/sources/{ip}', ['200', '400', '401', '403', '404']],
      ['post', '/api/sip-security/bans', ['201', '401', '403', '422']],
      ['delete', '/api/sip-security/bans/{id}', ['204', '401', '403', '404']],
      ['get', '/api/sip-security/bans/export', ['200', '401', '403', '422']],
      ['get', '/api/sip-security/allowlist', ['200', '401', '403']],
      ['post', '/api/sip-security/allowlist', ['201', '401', '403', '422']],
      ['delete', '/api/sip-security/allowlist/{id}', ['204', '401', '403', '404']],
      ['get', '/api/sip-security/check/{ip}', ['200', '401', '403', '422']],
      ['get', '/api/auth/captcha', ['200', '404', '429']],
      ['post', '/api/auth/mfa/totp/setup', ['200', '401', '409']],
      ['post', '/api/auth/mfa/totp/enable', ['200', '401', '409', '422']],
      ['post', '/api/auth/mfa/totp/disable', ['204', '401', '409', '422']],
      ['delete', '/api/admin/users/{id}/mfa', ['204', '401', '403', '404', '409']],
      ['get', '/api/admin/users/{id}/passkeys', ['200', '401', '403', '404']],
      ['delete', '/api/admin/users/{id}/passkeys/{passkeyId}', ['204', '401', '403', '404', '409']],
      ['get', '/api/admin/live', ['200', '401', '403']],
      ['get', '/api/admin/status', ['200', '401', '403']],
    ] as const;
    for (const [method, path, statuses] of routes) {
      const operation = document.paths[path]?.[method];
      expect({ path, documented: Boolean(operation) }).toEqual({ path, documented: true });
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining([...statuses]));
    }
    expect(document.paths['/api/admin/users'].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/api/admin/users'].get.tags).toEqual(['Admin - User Management']);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes['api-key']).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-Api-Key',
    });
    expect(document.paths['/api/sip-security/check/{ip}'].get.security).toEqual(
      expect.arrayContaining([{ 'api-key': [] }, { bearer: [] }]),
    );
    const ingest =
      document.paths['/api/sip-security/failed-registrations'].post.requestBody.content['application/json'].schema;
    expect(ingest.oneOf).toHaveLength(2);
    expect(ingest.oneOf[1]).toMatchObject({ type: 'array', maxItems: 10000 });
    const register = document.components.schemas.RegisterDto;
    expect(Object.keys(register.properties).sort()).toEqual(['captcha', 'email', 'full_name', 'password']);
    expect(register.required.sort()).toEqual(['email', 'full_name', 'password']);
    const fields = (schema: string) => Object.keys(document.components.schemas[schema].properties).sort();
    expect(fields('LoginDto')).toEqual(['email', 'otp', 'password']);
    expect(fields('ForgotPasswordDto')).toEqual(['captcha', 'email']);
    expect(fields('ResetPasswordDto')).toEqual(['new_password', 'token']);
    expect(fields('ChangePasswordDto')).toEqual(['current_password', 'new_password']);
    expect(document.components.schemas.ResetPasswordDto.properties.new_password).toMatchObject({ format: 'password' });
    const user = document.components.schemas.UserResponseDto;
    expect(Object.keys(user.properties)).not.toContain('hashed_password');
    expect(document.paths['/api/admin/users'].get.responses['200'].headers['X-Total-Count']).toBeDefined();
  });

  it('documents the database 503 with Retry-After on every API operation, once for all', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const operations = Object.entries(document.paths as Record<string, Record<string, { responses: object }>>)
      .filter(([path]) => path.startsWith('/api/') || path.startsWith('/v1/'))
      .flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));
    expect(operations.length).toBeGreaterThan(20);
    for (const { path, method, operation } of operations) {
      const unavailable = (operation.responses as Record<string, { headers?: object; content?: object }>)['503'];
      expect({ path, method, headers: Object.keys(unavailable?.headers ?? {}) }).toEqual({
        path,
        method,
        headers: ['Retry-After'],
      });
      expect(unavailable.content).toEqual({
        'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } },
      });
    }
    expect(document.paths['/health'].get.responses['503'].description).toContain('shutting down');
    expect(document.paths['/metrics'].get.responses['503']).toBeUndefined();
  });

  it('reports the database on /health: 200 when it answers, 503 when it does not', async () => {
    const database = await createTestDatabase();
    const doomed = await startTestApp({ databaseUrl: database.url });
    try {
      await doomed.http.get('/health').expect(200, { status: 'ok', database: 'up' });
      await doomed.db.end();
      await database.drop();
      const response = await doomed.http.get('/health').expect(503);
      expect(response.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    } finally {
      await closeAll(doomed);
    }
  });

  it('keeps its schema in migrations, with synchronize off', async () => {
    const { rows } = await t.db.query('SELECT name FROM migrations ORDER BY id');
    expect(rows.map((row: { name: string }) => row.name)).toEqual(expect.arrayContaining(['CreateUsers1764000000000']));
    expect(t.app).toBeDefined();
    expect(Client).toBeDefined();
  });

  describe('strict query parameters (issue 6, defects 2 and 13)', () => {
    let bearer: { Authorization: string };
    beforeAll(async () => {
      bearer = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    });

    it.each([
      ['skip=1e3', 'skip must be an integer written in decimal digits'],
      ['skip=0x10', 'skip must be an integer written in decimal digits'],
      ['skip=0b11', 'skip must be an integer written in decimal digits'],
      ['skip=', 'skip must be an integer written in decimal digits'],
      ['limit=1e3', 'limit must be an integer written in decimal digits'],
      ['limit=%205%20', 'limit must be an integer written in decimal digits'],
      ['limit=5&limit=6', 'limit must be an integer written in decimal digits'],
    ])('refuses paging that is not decimal digits: %s → 422', async (query, message) => {
      for (const path of ['/api/admin/users', '/api/admin/users/inactive', '/api/sip-security/door-knocks']) {
        const response = await t.http.get(`${path}?${query}`).set(bearer).expect(422);
        expect(response.body.message).toContain(message);
      }
    });

    it('still takes decimal digits, leading zeros included', async () => {
      await t.http.get('/api/admin/users?skip=00&limit=0010').set(bearer).expect(200);
      await t.http.get('/api/sip-security/failed-registrations?response_code=403').set(bearer).expect(200);
    });

    it.each(['response_code=4e2', 'response_code=0x193', 'response_code='])(
      'refuses a response code that is not decimal digits: %s → 422',
      async (query) => {
        await t.http.get(`/api/sip-security/failed-registrations?${query}`).set(bearer).expect(422);
      },
    );

    it.each([
      ['/api/sip-security/failed-registrations?since=0', 'since must be an ISO 8601 date-time'],
      ['/api/sip-security/failed-registrations?until=1', 'until must be an ISO 8601 date-time'],
      ['/api/sip-security/door-knocks?since=Nov%2025%202026', 'since must be an ISO 8601 date-time'],
      ['/api/sip-security/door-knocks?until=2026-02-30', 'until must be an ISO 8601 date-time'],
      ['/api/sip-security/stats?since=0', 'since must be an ISO 8601 date-time'],
    ])('refuses a date that is not ISO 8601: %s → 422', async (path, message) => {
      const response = await t.http.get(path).set(bearer).expect(422);
      expect(response.body.message).toContain(message);
    });

    it('takes ISO 8601 dates and date-times, an offset-less one as UTC', async () => {
      await t.http.get('/api/sip-security/stats?since=2026-11-25').set(bearer).expect(200);
      const response = await t.http.get('/api/sip-security/stats?since=2026-11-25T17:00:00').set(bearer).expect(200);
      expect(response.body.since).toBe('2026-11-25T17:00:00.000Z');
    });

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'foo'])(
      'refuses the unknown query key %s like any other',
      async (key) => {
        for (const path of ['/api/admin/users', '/api/admin/users/inactive', '/api/sip-security/stats']) {
          const response = await t.http.get(`${path}?${key}=1`).set(bearer).expect(422);
          expect(response.body.message).toEqual([`property ${key} should not exist`]);
        }
      },
    );

    it('refuses inherited key names in a body too', async () => {
      const response = await t.http
        .post('/api/auth/login')
        .send({ email: 'a@example.com', password: 'Test1234', constructor: 1 })
        .expect(422);
      expect(response.body.message).toEqual(['property constructor should not exist']);
    });
  });

  describe('deeply nested bodies (issue 6, defect 7)', () => {
    const nestedObjects = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
    const nestedArrays = (levels: number) => '['.repeat(levels) + '1' + ']'.repeat(levels);
    let bearer: { Authorization: string };
    beforeAll(async () => {
      bearer = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    });

    it.each([
      ['login', '/api/auth/login', (deep: string) => `{"email":${deep},"password":"Test1234"}`],
      [
        'register',
        '/api/auth/register',
        (deep: string) => `{"email":"a@example.com","password":"Test1234","full_name":${deep}}`,
      ],
      ['bans', '/api/sip-security/bans', (deep: string) => `{"cidr":"192.0.2.0/24","reason":${deep}}`],
      ['allowlist', '/api/sip-security/allowlist', (deep: string) => `{"cidr":"192.0.2.0/24","description":${deep}}`],
      ['ingest', '/api/sip-security/door-knocks', (deep: string) => `[${deep}]`],
    ])('answers 3,000 nested objects or arrays on %s with 422, not 500', async (_, path, body) => {
      for (const deep of [nestedObjects(3000), nestedArrays(3000)]) {
        const response = await t.http.post(path).set(bearer).set('Content-Type', 'application/json').send(body(deep));
        expect(response.status).toBe(422);
        expect(response.body).toMatchObject({
          statusCode: 422,
          message: ['the request body nests objects or arrays deeper than 32 levels'],
        });
      }
    });

    it('leaves shallow nesting to the validation of the fields', async () => {
      const response = await t.http
        .post('/api/auth/login')
        .send({ email: { a: { b: 1 } }, password: 'Test1234' })
        .expect(422);
      expect(response.body.message).toContain('email must be a string');
    });
  });

  describe('body size limits per route (@BodyLimit)', () => {
    let bearer: { Authorization: string };
    beforeAll(async () => {
      bearer = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    });

    it('lets the ingest routes take a batch of several MiB', async () => {
      const events = Array.from({ length: 5000 }, (_, index) => ({
        source_ip: `198.51.${Math.floor(index / 250)}.${index % 250}`,
        source_port: 5060,
        method: 'REGISTER',
        domain: 'sip.example.com',
        reason: 'unknown_domain',
        user_agent: 'x'.repeat(1000),
      }));
      const body = JSON.stringify(events);
      expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
      const response = await t.http
        .post('/api/sip-security/door-knocks')
        .set(bearer)
        .set('Content-Type', 'application/json')
        .send(body)
        .expect(202);
      expect(response.body).toEqual({ accepted: 5000, ignored: 0 });
    });

    it('answers 413 over 16 MiB on an ingest route, and over 100 KiB elsewhere', async () => {
      const padded = (bytes: number) => `[${' '.repeat(bytes)}]`;
      await t.http
        .post('/api/sip-security/failed-registrations')
        .set(bearer)
        .set('Content-Type', 'application/json')
        .send(padded(16 * 1024 * 1024 + 1))
        .expect(413);
      await t.http
        .post('/api/sip-security/bans')
        .set(bearer)
        .set('Content-Type', 'application/json')
        .send(padded(100 * 1024 + 1))
        .expect(413);
    });
  });
});
