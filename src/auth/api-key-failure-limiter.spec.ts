import { UnauthorizedException } from '@nestjs/common';
import { ThrottlerException, ThrottlerStorageService } from '@nestjs/throttler';
import { FastifyReply, FastifyRequest } from 'fastify';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { ApiKeyFailureLimiter } from './api-key-failure-limiter';

describe('ApiKeyFailureLimiter', () => {
  const log = jest.fn();
  const header = jest.fn();
  const reply = { header } as unknown as FastifyReply;
  const request = (ip: string) =>
    ({
      ip,
      method: 'GET',
      url: '/x',
      routeOptions: { url: '/api/sip-security/check/:ip' },
    }) as unknown as FastifyRequest;
  let limiter: ApiKeyFailureLimiter;

  beforeEach(() => {
    log.mockClear();
    header.mockClear();
    limiter = new ApiKeyFailureLimiter(
      new ThrottlerStorageService(),
      { log } as unknown as SecurityLogService,
      {
        apiKeyRateLimit: { limit: 2, ttlSeconds: 60 },
      } as AppConfig,
    );
  });

  it('logs every failure without the key, answers 401 within the limit, then blocks the client', async () => {
    await expect(limiter.reject(request('192.0.2.1'), reply)).rejects.toThrow(UnauthorizedException);
    expect(() => limiter.refuseIfBlocked(request('192.0.2.1'), reply)).not.toThrow();
    await expect(limiter.reject(request('192.0.2.1'), reply)).rejects.toThrow(UnauthorizedException);
    expect(log).toHaveBeenCalledWith('api_key_rejected', {
      ip: '192.0.2.1',
      method: 'GET',
      path: '/api/sip-security/check/:ip',
    });
    expect(() => limiter.refuseIfBlocked(request('192.0.2.1'), reply)).toThrow(ThrottlerException);
    expect(header).toHaveBeenCalledWith('Retry-After', expect.any(Number));
    expect(log).toHaveBeenCalledWith(
      'rate_limit_hit',
      expect.objectContaining({ ip: '192.0.2.1', limit: 2, window_seconds: 60 }),
    );
  });

  it('counts clients apart, IPv6 ones per /64', async () => {
    await expect(limiter.reject(request('2001:db8:1:1::1'), reply)).rejects.toThrow(UnauthorizedException);
    await expect(limiter.reject(request('2001:db8:1:1::2'), reply)).rejects.toThrow(UnauthorizedException);
    expect(() => limiter.refuseIfBlocked(request('2001:db8:1:1::3'), reply)).toThrow(ThrottlerException);
    expect(() => limiter.refuseIfBlocked(request('2001:db8:1:2::1'), reply)).not.toThrow();
    expect(() => limiter.refuseIfBlocked(request('192.0.2.2'), reply)).not.toThrow();
  });
});
