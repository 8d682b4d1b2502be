import { EmailLookupProperty } from '../../auth/dto/email-lookup.property';

/** An address to send a link to; any string an account could have is accepted, so answers never differ by it. */
export class EmailAddressDto {
  @EmailLookupProperty()
  email: string;
}
