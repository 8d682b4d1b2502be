import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * The reference route of `npm run bench`: NestJS on Fastify with the service's own packages and nothing of
 * the service (no guard, pipe, filter, hook, helmet or database), answering a small JSON object, as its own
 * process. The bench reports the service's routes as ratios of this one, measured in the same run.
 *
 *   PORT=3901 node dist/bench/bare-app.js
 */
@Controller('bare')
class BareController {
  @Get()
  get(): { ok: boolean; name: string } {
    return { ok: true, name: 'bare' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), { logger: false });
  await app.listen({ port: Number(process.env.PORT ?? 3901), host: '127.0.0.1' });
  // Nothing to finish: a plain exit (which also writes a --cpu-prof profile).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
}

void main();
