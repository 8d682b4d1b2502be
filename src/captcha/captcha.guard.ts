import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';
import { ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { clientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { SecurityLogService } from '../common/security-log.service';
import { CaptchaRejectedError, CaptchaRejection, CaptchaService } from './captcha.service';

const MESSAGES: Record<CaptchaRejection, string> = {
  missing: 'captcha is required: solve a challenge from GET /api/auth/captcha',
  invalid: 'captcha is not a valid solution of a challenge issued here',
  expired: 'captcha has expired: solve a new challenge',
  replayed: 'captcha has already been used: solve a new challenge',
};

/**
 * With CAPTCHA=altcha, the body's `captcha` must be a solved challenge not used before (422 otherwise);
 * with CAPTCHA off it lets everything through. It runs before validation, so a request refused for its
 * other fields has still spent its challenge: every attempt costs one proof of work.
 */
@Injectable()
export class CaptchaGuard implements CanActivate {
  constructor(
    private readonly captcha: CaptchaService,
    private readonly securityLog: SecurityLogService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.captcha.enabled) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const body = request.body;
    const payload = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).captcha : undefined;
    try {
      await this.captcha.verifyAndSpend(payload);
      return true;
    } catch (error) {
      if (!(error instanceof CaptchaRejectedError)) throw error;
      this.securityLog.log('captcha_rejected', {
        ip: clientIp(request),
        reason: error.reason,
        method: request.method,
        path: request.routeOptions.url,
      });
      throw new UnprocessableEntityException([MESSAGES[error.reason]]);
    }
  }
}

/**
 * Puts a route behind the CAPTCHA (CAPTCHA=altcha). Its body DTO must accept the field: extend
 * CaptchaPayloadDto. The controller's module must import CaptchaModule.
 */
export const RequireCaptcha = () =>
  applyDecorators(
    UseGuards(CaptchaGuard),
    ApiUnprocessableEntityResponse({
      description: 'With CAPTCHA=altcha: `captcha` missing, wrong, expired or already used (or an invalid field)',
      type: ErrorResponseDto,
    }),
  );
