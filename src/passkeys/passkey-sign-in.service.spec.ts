import { UnauthorizedException } from '@nestjs/common';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import { SoftwarePasskey } from '../../test/support/software-authenticator';
import { LockoutService } from '../account/lockout.service';
import { LockedAtSignInError, LoginService } from '../auth/login.service';
import { UsersRepository } from '../auth/users.repository';
import { SecurityLogService } from '../common/security-log.service';
import { loadConfig } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import { KnownDevicesService } from '../devices/known-devices.service';
import { PASSKEY_SIGN_IN_FAILED, PasskeySignInService } from './passkey-sign-in.service';
import { PasskeysRepository, StoredPasskey } from './passkeys.repository';
import { SUPPORTED_ALGORITHMS, userHandleOf } from './relying-party';
import { WebauthnChallenges } from './webauthn-challenges.service';

const ORIGIN = 'https://regshield.example.com';
const RP_ID = 'regshield.example.com';
const USER_ID = '0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10';
const CLIENT = { ip: '192.0.2.1', userAgent: 'test' };

/** The sign-in service with the passkeys table, challenges, lockout and login in memory. */
function setUp() {
  const stored: StoredPasskey[] = [];
  const challenges = new Set<string>();
  const user = Object.assign(new User(), { id: USER_ID, email: 'a@example.com', lockedUntil: null as Date | null });
  const log = jest.fn();
  const recordFailure = jest.fn(() => Promise.resolve());
  const signIn = jest.fn((): Promise<unknown> => Promise.resolve({ tokens: {}, deviceCookie: 'cookie' }));
  let counterRace = false;
  const service = new PasskeySignInService(
    {
      findByCredentialId: (id: string) => Promise.resolve(stored.find((passkey) => passkey.credentialId === id)),
      recordSignIn: (id: string, counter: number) => {
        const passkey = stored.find((row) => row.id === id)!;
        if (counterRace || counter <= passkey.signCount) return Promise.resolve(false);
        passkey.signCount = counter;
        return Promise.resolve(true);
      },
    } as unknown as PasskeysRepository,
    { loadById: (id: string) => Promise.resolve(id === USER_ID ? user : null) } as unknown as UsersRepository,
    {
      remember: (challenge: string) => Promise.resolve(void challenges.add(challenge)),
      consume: (challenge: string) => Promise.resolve(challenges.delete(challenge)),
    } as unknown as WebauthnChallenges,
    { recognise: () => Promise.resolve(undefined) } as unknown as KnownDevicesService,
    {
      isLocked: (locked: User) => locked.lockedUntil !== null,
      recordFailure,
    } as unknown as LockoutService,
    { signIn } as unknown as LoginService,
    { log } as unknown as SecurityLogService,
    loadConfig({ PUBLIC_URL: ORIGIN }),
  );

  /** A passkey of the user, registered (verified) as the registration service would. */
  async function register(): Promise<SoftwarePasskey> {
    const passkey = new SoftwarePasskey(ORIGIN);
    const options = await generateRegistrationOptions({
      rpName: 'regshield',
      rpID: RP_ID,
      userName: user.email,
      userID: userHandleOf(USER_ID),
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
    const { registrationInfo } = await verifyRegistrationResponse({
      response: passkey.register(options),
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
    const { credential } = registrationInfo!;
    stored.push({
      id: `passkey-${stored.length}`,
      userId: USER_ID,
      credentialId: credential.id,
      publicKey: credential.publicKey,
      signCount: credential.counter,
      transports: [],
    });
    return passkey;
  }

  const answer = async (passkey: SoftwarePasskey) => ({
    credential: passkey.authenticate(await service.options()),
  });
  const reasons = () =>
    log.mock.calls.filter(([event]) => event === 'login_failed').map(([, fields]) => fields.reason as string);

  return {
    service,
    user,
    signIn,
    recordFailure,
    register,
    answer,
    reasons,
    raceCounter: () => (counterRace = true),
  };
}

describe('PasskeySignInService', () => {
  it('signs in with a registered passkey, through LoginService.signIn, marked as a passkey sign-in', async () => {
    const { service, user, signIn, register, answer } = setUp();
    const passkey = await register();
    await service.verify(await answer(passkey), CLIENT);
    expect(signIn).toHaveBeenCalledWith(user, CLIENT, undefined, { method: 'passkey', passkey_id: 'passkey-0' });
  });

  it('refuses an unknown passkey without counting a failure against anyone', async () => {
    const { service, recordFailure, answer, reasons } = setUp();
    await expect(service.verify(await answer(new SoftwarePasskey(ORIGIN)), CLIENT)).rejects.toThrow(
      new UnauthorizedException(PASSKEY_SIGN_IN_FAILED),
    );
    expect(reasons()).toEqual(['unknown_passkey']);
    expect(recordFailure).not.toHaveBeenCalled();
  });

  it('refuses a locked account before checking the passkey', async () => {
    const { service, user, signIn, register, answer, reasons } = setUp();
    const passkey = await register();
    user.lockedUntil = new Date(Date.now() + 60_000);
    await expect(service.verify(await answer(passkey), CLIENT)).rejects.toThrow(UnauthorizedException);
    expect(reasons()).toEqual(['account_locked']);
    expect(signIn).not.toHaveBeenCalled();
  });

  it('refuses, as a lock, a sign-in the account got locked during (LoginService.signIn checks it again)', async () => {
    const { service, signIn, register, answer, reasons, recordFailure } = setUp();
    const passkey = await register();
    signIn.mockRejectedValueOnce(new LockedAtSignInError('account_locked'));
    await expect(service.verify(await answer(passkey), CLIENT)).rejects.toThrow(
      new UnauthorizedException(PASSKEY_SIGN_IN_FAILED),
    );
    expect(reasons()).toEqual(['account_locked']);
    expect(recordFailure).not.toHaveBeenCalled();
  });

  it('refuses a challenge not handed out (or spent) without counting toward the lockout', async () => {
    const { service, recordFailure, register, reasons } = setUp();
    const passkey = await register();
    const credential = passkey.authenticate({ challenge: 'bm90LWlzc3VlZA', rpId: RP_ID });
    await expect(service.verify({ credential }, CLIENT)).rejects.toThrow(UnauthorizedException);
    expect(reasons()).toEqual(['invalid_challenge']);
    expect(recordFailure).not.toHaveBeenCalled();
  });

  it('refuses a user handle of another account', async () => {
    const { service, register, answer, reasons } = setUp();
    const passkey = await register();
    const body = await answer(passkey);
    body.credential.response.userHandle = 'AAAA';
    await expect(service.verify(body, CLIENT)).rejects.toThrow(UnauthorizedException);
    expect(reasons()).toEqual(['user_handle_mismatch']);
  });

  it('refuses a counter that does not rise (a clone), and one another sign-in raised meanwhile; both count', async () => {
    const { service, recordFailure, register, answer, reasons, raceCounter } = setUp();
    const passkey = await register();
    const clone = passkey.clone();
    await service.verify(await answer(passkey), CLIENT);
    await expect(service.verify(await answer(clone), CLIENT)).rejects.toThrow(UnauthorizedException);
    raceCounter();
    await expect(service.verify(await answer(passkey), CLIENT)).rejects.toThrow(UnauthorizedException);
    expect(reasons()).toEqual(['counter_not_increased', 'counter_not_increased']);
    expect(recordFailure).toHaveBeenCalledTimes(2);
  });
});
