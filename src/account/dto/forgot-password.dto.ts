import { EmailAddressDto } from './email-address.dto';

/** `POST /api/auth/password/forgot`: its own class, since this route's body may grow fields of its own. */
export class ForgotPasswordDto extends EmailAddressDto {}
