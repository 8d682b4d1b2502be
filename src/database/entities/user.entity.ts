import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const USER_STATUSES = ['pending', 'active', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Always stored in its normal form (src/auth/email.ts, normalizeEmail); unique. */
  @Column({ type: 'text' })
  email: string;

  @Column({ name: 'full_name', type: 'text' })
  fullName: string;

  @Column({ name: 'hashed_password', type: 'text' })
  hashedPassword: string;

  /** `pending` until an admin first activates the account; `is_active` is derived from it. */
  @Column({ type: 'text' })
  status: UserStatus;

  @Column({ name: 'is_superuser', type: 'boolean', default: false })
  isSuperuser: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** Set at each successful login; null until the first. */
  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  /** Whether the owner followed a verification (or reset) link sent to this address. */
  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  /** Consecutive failed logins since the last success or lock (src/account/lockout.service.ts). */
  @Column({ name: 'failed_login_count', type: 'integer', default: 0, select: false })
  failedLoginCount: number;

  /** Locks since the last successful login: each one lasts twice as long as the one before. */
  @Column({ name: 'lockout_count', type: 'integer', default: 0, select: false })
  lockoutCount: number;

  /** While in the future, login is refused as if the password were wrong. */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;
  /** True once a TOTP second factor is enabled (src/mfa keeps it in step with totp_credentials). */
  @Column({ name: 'mfa_enabled', type: 'boolean', default: false })
  mfaEnabled: boolean;

  get isActive(): boolean {
    return this.status === 'active';
  }
}
