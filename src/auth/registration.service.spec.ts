import { ConflictException, UnprocessableEntityException } from '@nestjs/common';
import { SignupNoticesService } from '../account/signup-notices.service';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig, RegistrationMode } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { RegistrationService } from './registration.service';
import { EmailTakenError, NewUser, UsersRepository } from './users.repository';

describe('RegistrationService', () => {
  const log = jest.fn();
  let inserted: NewUser[];
  const users = {
    insertUser: (user: NewUser) => {
      if (inserted.some((other) => other.email === user.email)) return Promise.reject(new EmailTakenError(user.email));
      inserted.push(user);
      return Promise.resolve(Object.assign(new User(), { ...user, id: `id-${inserted.length}` }));
    },
  } as unknown as UsersRepository;
  const onSignUp = jest.fn((_user: User, _tx: unknown) => Promise.resolve());
  const tx = { name: 'the sign-up transaction' };
  const transactions = { run: (work: (manager: unknown) => Promise<unknown>) => work(tx) };
  const service = (mode: RegistrationMode, allowedDomains: string[] = []) =>
    new RegistrationService(
      users,
      { log } as unknown as SecurityLogService,
      {
        registrationMode: mode,
        registrationAllowedDomains: allowedDomains,
      } as unknown as AppConfig,
      transactions as unknown as Transactions,
      { onSignUp } as unknown as SignupNoticesService,
    );
  const ip = '192.0.2.1';
  const dto = (email = 'new@example.com') => ({ email, password: 'Test1234', full_name: 'New User' });

  beforeEach(() => {
    inserted = [];
    log.mockClear();
    onSignUp.mockClear();
  });

  it.each([
    ['approval', 'pending'],
    ['open', 'active'],
    ['admin_only', 'active'],
  ] as const)('in %s mode creates a %s non-superuser with a hashed password', async (mode, status) => {
    const user = await service(mode).register(dto(), ip);
    expect(user).toMatchObject({ email: 'new@example.com', status, isSuperuser: false });
    expect(inserted[0].hashedPassword).toMatch(/^\$argon2id\$/);
    expect(log).toHaveBeenCalledWith('registration_attempt', { ip, email: 'new@example.com', mode });
    expect(log).toHaveBeenCalledWith(
      'user_created',
      expect.objectContaining({ email: 'new@example.com', is_active: status === 'active' }),
    );
  });

  it("queues the sign-up's e-mails in the transaction that inserts the user, and none for a taken e-mail", async () => {
    const user = await service('approval').register(dto(), ip);
    expect(onSignUp).toHaveBeenCalledWith(user, tx);
    onSignUp.mockClear();
    await expect(service('approval').register(dto(), ip)).rejects.toThrow(ConflictException);
    expect(onSignUp).not.toHaveBeenCalled();
  });

  it('logs the superuser who registered the user', async () => {
    const actor = Object.assign(new User(), { id: 'admin-id' });
    await service('admin_only').register(dto(), ip, actor);
    expect(log).toHaveBeenCalledWith('user_created', expect.objectContaining({ actor_id: 'admin-id' }));
  });

  it('refuses a domain outside REGISTRATION_ALLOWED_DOMAINS with 422, storing nothing', async () => {
    const allowed = service('open', ['company.com', 'xn--bcher-kva.example']);
    await expect(allowed.register(dto('a@evil-company.com'), ip)).rejects.toThrow(UnprocessableEntityException);
    await expect(allowed.register(dto('a@company.com.evil.net'), ip)).rejects.toThrow(UnprocessableEntityException);
    expect(inserted).toEqual([]);
    expect(log).toHaveBeenCalledWith('registration_rejected', {
      ip,
      email: 'a@evil-company.com',
      reason: 'domain_not_allowed',
    });
    await expect(allowed.register(dto('a@xn--bcher-kva.example'), ip)).resolves.toBeInstanceOf(User);
  });

  it('answers a taken e-mail with 409 and logs it', async () => {
    await service('approval').register(dto(), ip);
    await expect(service('approval').register(dto(), ip)).rejects.toEqual(
      new ConflictException('Email already registered'),
    );
    expect(log).toHaveBeenCalledWith('registration_rejected', { ip, email: 'new@example.com', reason: 'email_taken' });
  });
});
