import Fastify, { FastifyInstance } from 'fastify';
import { limitBodyDepth, nestsDeeperThan } from './body-depth';

const nested = (levels: number, wrap: (inner: unknown) => unknown) => {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++) value = wrap(value);
  return value;
};

describe('nestsDeeperThan', () => {
  it('counts objects and arrays as levels, scalars as none', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan({ a: 1 }, 1)).toBe(false);
    expect(nestsDeeperThan([{ a: 1 }], 1)).toBe(true);
    expect(nestsDeeperThan([{ a: 1 }], 2)).toBe(false);
  });

  it('finds deep nesting in any branch, objects and arrays alike', () => {
    expect(nestsDeeperThan({ shallow: 1, deep: nested(32, (inner) => ({ a: inner })) }, 32)).toBe(true);
    expect(nestsDeeperThan({ deep: nested(31, (inner) => [inner]) }, 32)).toBe(false);
  });

  it('walks a million levels without running out of stack', () => {
    expect(
      nestsDeeperThan(
        nested(1_000_000, (inner) => [inner]),
        32,
      ),
    ).toBe(true);
  });
});

describe('limitBodyDepth', () => {
  const deepBody = JSON.stringify(nested(40, (inner) => ({ a: inner })));
  let fastify: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    fastify = Fastify();
    limitBodyDepth(fastify);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      fastify.route({ method, url: '/thing', handler: () => ({ ok: true }) });
    }
    fastify.post(
      '/with-hook',
      {
        preValidation: (_request, reply, done) => {
          void reply.header('x-own-hook', 'ran');
          done();
        },
      },
      () => ({ ok: true }),
    );
    base = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => fastify.close());

  const send = (method: string, path: string, body?: string) =>
    fetch(`${base}${path}`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])(
    'answers a too deep %s body with 422, a shallow one as usual',
    async (method) => {
      expect((await send(method, '/thing', deepBody)).status).toBe(422);
      expect((await send(method, '/thing', '{"a":{"b":1}}')).status).toBe(200);
    },
  );

  it('adds no preValidation step to GET routes', async () => {
    expect((await send('GET', '/thing')).status).toBe(200);
    expect(fastify.printRoutes({ method: 'GET', includeHooks: true })).not.toContain('preValidation');
    expect(fastify.printRoutes({ method: 'POST', includeHooks: true })).toContain('preValidation');
  });

  it("keeps a route's own preValidation hook beside the depth check", async () => {
    const response = await send('POST', '/with-hook', deepBody);
    expect(response.status).toBe(422);
    expect(response.headers.get('x-own-hook')).toBe('ran');
  });
});
