import { applyDecorators, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiServiceUnavailableResponse } from '@nestjs/swagger';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  SkipThrottle,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { FastifyReply, FastifyRequest } from 'fastify';
import { clientIp } from '../client-ip';
import { DATABASE_RETRY_AFTER_SECONDS } from '../database-unavailable';
import { ErrorResponseDto } from '../error-response.dto';
import { SecurityLogService } from '../security-log.service';

/** Throttler names, one per configured limit (the app module gives each its limit and window). */
export const THROTTLE = { register: 'register', login: 'login', captcha: 'captcha' } as const;
export type ThrottleName = (typeof THROTTLE)[keyof typeof THROTTLE];

/**
 * Counts per client address as clientIp resolves it (the socket peer unless TRUST_PROXY is set, never a
 * non-address from X-Forwarded-For), IPv6 grouped by /64 as the library does. The library's own tracker
 * reads `request.ip` as it is, so a rotating junk X-Forwarded-For entry would buy a fresh limit each time.
 * Over the limit it answers 429 with a plain `Retry-After` header and logs the hit.
 */
@Injectable()
export class ClientIpThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly securityLog: SecurityLogService,
  ) {
    super(options, storage, reflector);
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    return super.getTracker({ ip: clientIp(request as unknown as FastifyRequest) });
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    void http.getResponse<FastifyReply>().header('Retry-After', Math.max(1, Math.ceil(detail.timeToBlockExpire)));
    this.securityLog.log('rate_limit_hit', {
      ip: clientIp(request),
      method: request.method,
      path: request.routeOptions?.url ?? request.url,
      limit: detail.limit,
      window_seconds: Math.round(detail.ttl / 1000),
    });
    throw new ThrottlerException('Too many requests, try again later');
  }
}

/**
 * Counts the route's requests per client address against the one named limit, and against no other: the
 * library's guard applies every configured limit unless told to skip it, so a new limit must not start
 * counting on routes that have their own.
 */
export const ThrottledBy = (name: ThrottleName) =>
  applyDecorators(
    UseGuards(ClientIpThrottlerGuard),
    ApiServiceUnavailableResponse({
      description:
        'The database does not answer, or (RATE_LIMIT_REDIS_FAILURE=closed) the rate limits cannot be counted ' +
        'because Redis does not: try again after Retry-After seconds',
      headers: {
        'Retry-After': {
          description: 'Seconds to wait',
          schema: { type: 'integer', example: DATABASE_RETRY_AFTER_SECONDS },
        },
      },
      type: ErrorResponseDto,
    }),
    SkipThrottle(Object.fromEntries(Object.values(THROTTLE).map((other) => [other, other !== name]))),
  );
