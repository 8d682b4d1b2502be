import { ApiProperty } from '@nestjs/swagger';
import { User, USER_STATUSES, UserStatus } from '../../database/entities/user.entity';

/**
 * Answers already built for users that never change in place: AuthStateCache keeps one frozen object per
 * user until the row changes, and /me answers it again and again. Formatting its dates was the largest part
 * of that route's own work in a CPU profile.
 */
const builtAnswers = new WeakMap<User, UserResponseDto>();

/** A user as every route shows it: never a password or hash. */
export class UserResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'user@example.com' })
  email: string;

  @ApiProperty({ example: 'Test User' })
  full_name: string;

  @ApiProperty()
  is_active: boolean;

  @ApiProperty()
  is_superuser: boolean;

  @ApiProperty({
    enum: USER_STATUSES,
    description: '`pending`: awaiting a first activation; `deactivated`: switched off by an admin',
  })
  status: UserStatus;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'The last successful login' })
  last_login_at: string | null;

  @ApiProperty({ description: 'Whether the owner followed a link sent to this address' })
  email_verified: boolean;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'Until when the account is locked after repeated failed logins; null when it is not locked',
  })
  locked_until: string | null;
  @ApiProperty({ description: 'Whether login asks for a second factor (TOTP or a recovery code)' })
  mfa_enabled: boolean;

  static from(user: User): UserResponseDto {
    const built = builtAnswers.get(user);
    if (built !== undefined) return built;
    const answer: UserResponseDto = {
      id: user.id,
      email: user.email,
      full_name: user.fullName,
      is_active: user.isActive,
      is_superuser: user.isSuperuser,
      status: user.status,
      created_at: user.createdAt.toISOString(),
      updated_at: user.updatedAt.toISOString(),
      last_login_at: user.lastLoginAt ? user.lastLoginAt.toISOString() : null,
      email_verified: user.emailVerified,
      locked_until: user.lockedUntil && user.lockedUntil.getTime() > Date.now() ? user.lockedUntil.toISOString() : null,
      mfa_enabled: user.mfaEnabled,
    };
    // Not while a lock runs: locked_until turns null when it ends, with no change to the row.
    if (Object.isFrozen(user) && answer.locked_until === null) builtAnswers.set(user, Object.freeze(answer));
    return answer;
  }
}
