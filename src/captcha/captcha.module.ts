import { Module } from '@nestjs/common';
import { CaptchaController } from './captcha.controller';
import { CaptchaGuard } from './captcha.guard';
import { CaptchaRepository } from './captcha.repository';
import { CaptchaService } from './captcha.service';

/** CAPTCHA=altcha: the challenge route, and the guard RequireCaptcha() puts on a route of an importing module. */
@Module({
  controllers: [CaptchaController],
  providers: [CaptchaService, CaptchaRepository, CaptchaGuard],
  exports: [CaptchaService, CaptchaGuard],
})
export class CaptchaModule {}
