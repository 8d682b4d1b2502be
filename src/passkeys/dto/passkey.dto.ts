import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { NoControlCharacters } from '../../common/text';
import { ADMIN_MFA_POLICIES, AdminMfaPolicy } from '../../config/app-config';
import { AdminFactorStatus } from '../admin-factor-policy.service';
import { PasskeySummary } from '../passkeys.repository';
import { AuthenticationCredentialDto, RegistrationCredentialDto } from './passkey-credential.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** The name a user gives a passkey, to tell it from the others on /account. */
const PasskeyName = () =>
  applyDecorators(Transform(trim), IsString(), NoControlCharacters(), MinLength(1), MaxLength(100));

const NAME_DOC = {
  example: 'Laptop',
  minLength: 1,
  maxLength: 100,
  description: 'Trimmed; control characters and bidirectional overrides → 422',
} as const;

export class PasskeyRegisterVerifyDto {
  @ApiPropertyOptional({ ...NAME_DOC, description: `${NAME_DOC.description}. Default: \`Passkey\`` })
  @IsOptional()
  @PasskeyName()
  name?: string;

  @ApiProperty({ type: RegistrationCredentialDto, description: 'The browser’s answer to the options, as JSON' })
  @IsObject()
  @ValidateNested()
  @Type(() => RegistrationCredentialDto)
  credential: RegistrationCredentialDto;
}

export class PasskeyRenameDto {
  @ApiProperty(NAME_DOC)
  @PasskeyName()
  name: string;
}

export class PasskeySignInVerifyDto {
  @ApiProperty({ type: AuthenticationCredentialDto, description: 'The browser’s answer to the options, as JSON' })
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticationCredentialDto)
  credential: AuthenticationCredentialDto;
}

/** A passkey as its owner sees it: never the public key or the credential id. */
export class PasskeyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Laptop' })
  name: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'The latest sign-in with it' })
  last_used_at: string | null;

  @ApiProperty({ description: 'Whether the passkey is synced (backed up) by its provider, e.g. a password manager' })
  backed_up: boolean;

  static from(passkey: PasskeySummary): PasskeyResponseDto {
    return {
      id: passkey.id,
      name: passkey.name,
      created_at: passkey.createdAt.toISOString(),
      last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
      backed_up: passkey.backedUp,
    };
  }
}

/** Where the signed-in user stands against ADMIN_MFA_REQUIRED. */
export class AdminFactorStatusDto {
  @ApiProperty({
    enum: ADMIN_MFA_POLICIES,
    description: 'The factor the admin routes need of this user: `off` for non-superusers or when no policy is set',
  })
  required: AdminMfaPolicy;

  @ApiProperty({ description: 'Whether the user has it' })
  satisfied: boolean;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'When the admin routes stop (or stopped) answering this user without it; null when satisfied',
  })
  grace_ends_at: string | null;

  @ApiProperty({ description: 'True when the admin routes answer this user 403 until a factor is added' })
  blocked: boolean;

  static from(status: AdminFactorStatus): AdminFactorStatusDto {
    return {
      required: status.required,
      satisfied: status.satisfied,
      grace_ends_at: status.graceEndsAt?.toISOString() ?? null,
      blocked: status.blocked,
    };
  }
}
