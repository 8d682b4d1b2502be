import { User } from '../../database/entities/user.entity';
import { UserResponseDto } from './user-response.dto';

const user = (overrides: Partial<User> = {}): User =>
  Object.assign(new User(), {
    id: '0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10',
    email: 'a@example.com',
    fullName: 'A User',
    hashedPassword: 'never shown',
    status: 'active',
    isSuperuser: false,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-02T00:00:00Z'),
    lastLoginAt: null,
    emailVerified: true,
    lockedUntil: null,
    mfaEnabled: false,
    ...overrides,
  });

describe('UserResponseDto.from', () => {
  afterEach(() => jest.useRealTimers());

  it('shows the user without a password or hash', () => {
    expect(UserResponseDto.from(user())).toEqual({
      id: '0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10',
      email: 'a@example.com',
      full_name: 'A User',
      is_active: true,
      is_superuser: false,
      status: 'active',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
      last_login_at: null,
      email_verified: true,
      locked_until: null,
      mfa_enabled: false,
    });
  });

  it('builds the answer of a frozen user (the auth state’s) once, and of any other user each time', () => {
    const held = Object.freeze(user());
    expect(UserResponseDto.from(held)).toBe(UserResponseDto.from(held));
    expect(Object.isFrozen(UserResponseDto.from(held))).toBe(true);
    const loaded = user();
    expect(UserResponseDto.from(loaded)).not.toBe(UserResponseDto.from(loaded));
  });

  it('keeps no answer while a lock runs: locked_until turns null when it ends', () => {
    jest.useFakeTimers({ now: new Date('2026-03-01T12:00:00Z') });
    const locked = Object.freeze(user({ lockedUntil: new Date('2026-03-01T12:15:00Z') }));
    expect(UserResponseDto.from(locked).locked_until).toBe('2026-03-01T12:15:00.000Z');
    jest.setSystemTime(new Date('2026-03-01T12:15:01Z'));
    expect(UserResponseDto.from(locked).locked_until).toBeNull();
  });
});
