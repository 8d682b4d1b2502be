import { IntersectionType } from '@nestjs/swagger';
import { CaptchaPayloadDto } from '../../captcha/captcha-payload.dto';
import { EmailAddressDto } from './email-address.dto';

/** `POST /api/auth/password/forgot`: the address, and with CAPTCHA=altcha a solved challenge. */
export class ForgotPasswordDto extends IntersectionType(EmailAddressDto, CaptchaPayloadDto) {}
