import { Injectable, UnauthorizedException } from '@nestjs/common';
import {
  AuthenticationResponseJSON,
  generateAuthenticationOptions,
  PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';
import { LockoutService } from '../account/lockout.service';
import {
  deviceField,
  LockedAtSignInError,
  lockReason,
  LoginClient,
  LoginResult,
  LoginService,
} from '../auth/login.service';
import { UsersRepository } from '../auth/users.repository';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { KnownDevice } from '../devices/known-devices.repository';
import { KnownDevicesService } from '../devices/known-devices.service';
import { PasskeySignInVerifyDto } from './dto/passkey.dto';
import { PasskeysRepository, StoredPasskey } from './passkeys.repository';
import { RelyingParty, relyingPartyOf, userHandleOf } from './relying-party';
import { CHALLENGE_TTL_SECONDS, WebauthnChallenges } from './webauthn-challenges.service';

export const PASSKEY_SIGN_IN_FAILED = 'Passkey sign-in failed';

/** Why a passkey sign-in was refused, on its `login_failed` line. */
type RefusalReason =
  | 'unknown_passkey'
  | 'user_handle_mismatch'
  | 'account_locked'
  | 'device_locked'
  | 'invalid_challenge'
  | 'invalid_assertion'
  | 'counter_not_increased';

/**
 * Signing in with a passkey, no e-mail typed: options with a fresh challenge and no credential list (the
 * browser offers the site's discoverable credentials), then the assertion checked against that challenge
 * (once), PUBLIC_URL's origin and RP ID, the stored public key, user verification, and the signature
 * counter, which must rise (a clone of the credential lags behind it). Phishing-resistant and user-verified,
 * it stands for both factors: no TOTP code is asked. Then, as after a password: the lock, the
 * active and verified checks, the session and the device cookie (LoginService.signIn).
 */
@Injectable()
export class PasskeySignInService {
  private readonly relyingParty: RelyingParty;

  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly users: UsersRepository,
    private readonly challenges: WebauthnChallenges,
    private readonly knownDevices: KnownDevicesService,
    private readonly lockout: LockoutService,
    private readonly logins: LoginService,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() config: AppConfig,
  ) {
    this.relyingParty = relyingPartyOf(config.publicUrl);
  }

  async options(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.relyingParty.id,
      userVerification: 'required',
      timeout: CHALLENGE_TTL_SECONDS * 1000,
    });
    await this.challenges.remember(options.challenge, 'sign_in', null);
    return options;
  }

  /**
   * 401 `Passkey sign-in failed` for every refusal of the passkey (the log line says which); 403 as at
   * login for an inactive or unverified account. A refused assertion of a known passkey counts toward the
   * lockout as a wrong password does. The lock is read before the assertion is checked, to refuse at once, and
   * checked again as the sign-in is written (LoginService.signIn): a lock that landed in between still refuses.
   */
  async verify(dto: PasskeySignInVerifyDto, client: LoginClient): Promise<LoginResult> {
    const response = dto.credential;
    const passkey = await this.passkeys.findByCredentialId(response.id);
    const user = passkey ? await this.users.loadById(passkey.userId) : null;
    if (!passkey || !user) return this.refuse(client, undefined, 'unknown_passkey');
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== Buffer.from(userHandleOf(user.id)).toString('base64url')) {
      return this.refuse(client, { user, passkey }, 'user_handle_mismatch');
    }
    const device = await this.knownDevices.recognise(client.deviceCookie, user.id);
    if (this.lockout.isLocked(user, device)) {
      return this.refuse(client, { user, passkey, device }, lockReason(device));
    }
    const newCounter = await this.verifyAssertion(response, passkey);
    if (typeof newCounter === 'string') {
      if (newCounter !== 'invalid_challenge') await this.lockout.recordFailure(user, client.ip, device);
      return this.refuse(client, { user, passkey, device }, newCounter);
    }
    if (!(await this.passkeys.recordSignIn(passkey.id, newCounter))) {
      await this.lockout.recordFailure(user, client.ip, device);
      return this.refuse(client, { user, passkey, device }, 'counter_not_increased');
    }
    try {
      return await this.logins.signIn(user, client, device, { method: 'passkey', passkey_id: passkey.id });
    } catch (error) {
      // Locked while the assertion was checked (concurrent guesses): answered as a lock read before it is.
      if (error instanceof LockedAtSignInError) return this.refuse(client, { user, passkey, device }, error.reason);
      throw error;
    }
  }

  /** The authenticator's new signature counter, or why the assertion is refused. */
  private async verifyAssertion(
    response: AuthenticationResponseJSON,
    passkey: StoredPasskey,
  ): Promise<number | RefusalReason> {
    let challengeAccepted: boolean | undefined;
    try {
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: async (challenge) =>
          (challengeAccepted = await this.challenges.consume(challenge, 'sign_in', null)),
        expectedOrigin: this.relyingParty.origin,
        expectedRPID: this.relyingParty.id,
        credential: {
          id: passkey.credentialId,
          publicKey: passkey.publicKey,
          counter: passkey.signCount,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
      return result.verified ? result.authenticationInfo.newCounter : 'invalid_assertion';
    } catch (error) {
      if (challengeAccepted !== true) return 'invalid_challenge';
      // The library's words for a counter that did not rise: the one refusal that hints at a cloned key.
      return error instanceof Error && /counter/i.test(error.message) ? 'counter_not_increased' : 'invalid_assertion';
    }
  }

  private refuse(
    client: LoginClient,
    who: { user: User; passkey: StoredPasskey; device?: KnownDevice } | undefined,
    reason: RefusalReason,
  ): never {
    this.securityLog.log('login_failed', {
      ip: client.ip,
      method: 'passkey',
      reason,
      ...(who ? { email: who.user.email, user_id: who.user.id, passkey_id: who.passkey.id } : {}),
      ...deviceField(who?.device),
    });
    throw new UnauthorizedException(PASSKEY_SIGN_IN_FAILED);
  }
}
