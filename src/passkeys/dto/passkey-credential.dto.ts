import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A base64url field of a WebAuthn credential, at most `max` characters. */
const Base64Url = (max: number, description: string) =>
  applyDecorators(
    ApiProperty({ format: 'base64url', maxLength: max, description }),
    IsString(),
    MinLength(1),
    MaxLength(max),
    Matches(BASE64URL, { message: '$property must be base64url' }),
  );

const OptionalBase64Url = (max: number, description: string) =>
  applyDecorators(
    ApiPropertyOptional({ format: 'base64url', maxLength: max, description }),
    IsOptional(),
    IsString(),
    MaxLength(max),
    Matches(BASE64URL, { message: '$property must be base64url' }),
  );

/**
 * The fields every PublicKeyCredential's JSON has (WebAuthn level 3 `toJSON()`, as @simplewebauthn/browser
 * returns it); their names are WebAuthn's, not snake_case, so that a browser's answer is sent as it is.
 */
class CredentialJsonDto {
  @Base64Url(1366, 'The credential id')
  id: string;

  @Base64Url(1366, 'The credential id again (rawId)')
  rawId: string;

  @ApiProperty({ enum: ['public-key'] })
  @Equals('public-key')
  type: 'public-key';

  @ApiPropertyOptional({ enum: ['platform', 'cross-platform'] })
  @IsOptional()
  @IsIn(['platform', 'cross-platform'])
  authenticatorAttachment?: 'platform' | 'cross-platform';

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The client extension results' })
  @IsObject()
  clientExtensionResults: object;
}

class AttestationResponseJsonDto {
  @Base64Url(8192, 'The client data the browser signed over')
  clientDataJSON: string;

  @Base64Url(65536, 'The attestation object (CBOR)')
  attestationObject: string;

  @OptionalBase64Url(65536, 'The authenticator data')
  authenticatorData?: string;

  @ApiPropertyOptional({ type: [String], example: ['internal', 'hybrid'] })
  @IsOptional()
  @IsString({ each: true })
  @MaxLength(32, { each: true })
  @ArrayMaxSize(10)
  transports?: string[];

  @ApiPropertyOptional({ description: 'The COSE algorithm of the public key', example: -7 })
  @IsOptional()
  @IsInt()
  publicKeyAlgorithm?: number;

  @OptionalBase64Url(8192, 'The public key (SubjectPublicKeyInfo)')
  publicKey?: string;
}

/** What `navigator.credentials.create()` answered (its JSON form). */
export class RegistrationCredentialDto extends CredentialJsonDto {
  @ApiProperty({ type: AttestationResponseJsonDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AttestationResponseJsonDto)
  response: AttestationResponseJsonDto;
}

class AssertionResponseJsonDto {
  @Base64Url(8192, 'The client data the authenticator signed over')
  clientDataJSON: string;

  @Base64Url(8192, 'The authenticator data')
  authenticatorData: string;

  @Base64Url(8192, 'The signature')
  signature: string;

  @OptionalBase64Url(128, 'The user handle the passkey was registered with (discoverable credentials)')
  userHandle?: string;
}

/** What `navigator.credentials.get()` answered (its JSON form). */
export class AuthenticationCredentialDto extends CredentialJsonDto {
  @ApiProperty({ type: AssertionResponseJsonDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AssertionResponseJsonDto)
  response: AssertionResponseJsonDto;
}
