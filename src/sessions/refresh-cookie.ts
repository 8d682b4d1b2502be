import type {} from '@fastify/cookie';
import { applyDecorators, UnprocessableEntityException } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { TokenResponseDto } from '../auth/dto/token-response.dto';

/**
 * Browser clients (the web app) keep the refresh token where scripts cannot read it: an HttpOnly cookie,
 * sent only to /api/auth, never cross-site. They ask for that with a custom header, which a cross-site
 * form cannot send, so a refresh through the cookie needs both.
 */
export const REFRESH_COOKIE = 'regshield_refresh';
const REFRESH_COOKIE_HEADER = 'x-refresh-cookie';
const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'strict', path: '/api/auth' } as const;

export function wantsRefreshCookie(request: FastifyRequest): boolean {
  return request.headers[REFRESH_COOKIE_HEADER] === '1';
}

/** The response body; in cookie mode the refresh token moves from it into the cookie, living as long as the session. */
export function deliverTokens(
  request: FastifyRequest,
  reply: FastifyReply,
  tokens: TokenResponseDto,
): TokenResponseDto {
  if (!wantsRefreshCookie(request)) return tokens;
  const { refresh_token: refreshToken, ...body } = tokens;
  void reply.setCookie(REFRESH_COOKIE, refreshToken!, { ...COOKIE_OPTIONS, maxAge: tokens.refresh_expires_in });
  return body;
}

/**
 * The refresh token a refresh presents: the body's, else (in cookie mode only) the cookie's. Neither: 422
 * naming the field, or 401 in cookie mode (a browser without a session).
 */
export function presentedRefreshToken(request: FastifyRequest, bodyToken: string | undefined): string {
  if (bodyToken !== undefined) return bodyToken;
  if (!wantsRefreshCookie(request)) {
    throw new UnprocessableEntityException(['refresh_token must be a string']);
  }
  return request.cookies[REFRESH_COOKIE] ?? '';
}

export function clearRefreshCookie(reply: FastifyReply): void {
  void reply.clearCookie(REFRESH_COOKIE, COOKIE_OPTIONS);
}

/** OpenAPI for the routes that honour cookie mode. */
export const RefreshCookieHeader = () =>
  applyDecorators(
    ApiHeader({
      name: 'X-Refresh-Cookie',
      required: false,
      description:
        '`1`: the refresh token is set as the HttpOnly cookie `regshield_refresh` (Secure, SameSite=Strict, ' +
        'Path=/api/auth, Max-Age the session\u2019s remaining life) and left out of the body; on refresh, ' +
        'an empty body then reads that cookie',
    }),
  );
