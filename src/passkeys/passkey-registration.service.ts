import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import {
  generateRegistrationOptions,
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
  verifyRegistrationResponse,
  VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { AdminFactorPolicy } from './admin-factor-policy.service';
import { PasskeyRegisterVerifyDto } from './dto/passkey.dto';
import { PasskeysRepository, PasskeySummary } from './passkeys.repository';
import { RelyingParty, relyingPartyOf, SUPPORTED_ALGORITHMS, userHandleOf } from './relying-party';
import { CHALLENGE_TTL_SECONDS, WebauthnChallenges } from './webauthn-challenges.service';

/** Passkeys one account may have: enough for every device and a spare, few enough to list on one page. */
export const MAX_PASSKEYS_PER_USER = 20;

export const TOO_MANY_PASSKEYS = `At most ${MAX_PASSKEYS_PER_USER} passkeys per account: remove one first`;
export const PASSKEY_ALREADY_REGISTERED = 'This passkey is already registered';
export const STALE_CHALLENGE =
  'credential answers an unknown, expired or already used challenge: ask for new options and try again';
export const CREDENTIAL_NOT_VERIFIED = 'credential could not be verified (origin, RP ID, user verification or format)';
const DEFAULT_NAME = 'Passkey';

/**
 * Adding a passkey to the signed-in account: options for `navigator.credentials.create()` (a discoverable
 * credential with user verification, none of the account's passkeys again), then the browser's answer
 * checked against the challenge, PUBLIC_URL's origin and RP ID, and stored.
 */
@Injectable()
export class PasskeyRegistrationService {
  private readonly relyingParty: RelyingParty;

  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly challenges: WebauthnChallenges,
    private readonly transactions: Transactions,
    private readonly policy: AdminFactorPolicy,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() config: AppConfig,
  ) {
    this.relyingParty = relyingPartyOf(config.publicUrl);
  }

  async options(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.passkeys.credentialsOfUser(user.id);
    if (existing.length >= MAX_PASSKEYS_PER_USER) throw new ConflictException(TOO_MANY_PASSKEYS);
    const options = await generateRegistrationOptions({
      rpName: this.relyingParty.name,
      rpID: this.relyingParty.id,
      userName: user.email,
      userID: userHandleOf(user.id),
      userDisplayName: user.fullName,
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((credential) => ({
        id: credential.credentialId,
        transports: credential.transports,
      })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
    await this.challenges.remember(options.challenge, 'registration', user.id);
    return options;
  }

  /** 422 for an answer that does not verify, 409 past the limit or for a passkey registered already. */
  async verify(user: User, dto: PasskeyRegisterVerifyDto, ip: string): Promise<PasskeySummary> {
    const verification = await this.verifyAnswer(user, dto.credential, ip);
    const { credential, credentialDeviceType, credentialBackedUp } = verification;
    const passkey = await this.transactions.run(async (tx) => {
      // The user's row lock orders this with concurrent additions, so the limit holds.
      await this.policy.lockFactorsOf(user.id, tx);
      if ((await this.passkeys.countOfUser(user.id, tx)) >= MAX_PASSKEYS_PER_USER) {
        throw new ConflictException(TOO_MANY_PASSKEYS);
      }
      const inserted = await this.passkeys.insert(
        user.id,
        {
          credentialId: credential.id,
          publicKey: credential.publicKey,
          signCount: credential.counter,
          transports: credential.transports ?? [],
          deviceType: credentialDeviceType,
          backedUp: credentialBackedUp,
          name: dto.name ?? DEFAULT_NAME,
        },
        tx,
      );
      if (!inserted) throw new ConflictException(PASSKEY_ALREADY_REGISTERED);
      return inserted;
    });
    this.securityLog.log('passkey_added', {
      ip,
      email: user.email,
      user_id: user.id,
      passkey_id: passkey.id,
      name: passkey.name,
    });
    return passkey;
  }

  private async verifyAnswer(
    user: User,
    response: RegistrationResponseJSON,
    ip: string,
  ): Promise<NonNullable<VerifiedRegistrationResponse['registrationInfo']>> {
    let challengeAccepted: boolean | undefined;
    try {
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge: async (challenge) =>
          (challengeAccepted = await this.challenges.consume(challenge, 'registration', user.id)),
        expectedOrigin: this.relyingParty.origin,
        expectedRPID: this.relyingParty.id,
        requireUserVerification: true,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
      if (result.verified) return result.registrationInfo;
      throw new Error('not verified');
    } catch (error) {
      this.securityLog.log('passkey_rejected', {
        ip,
        email: user.email,
        user_id: user.id,
        ceremony: 'registration',
        reason: challengeAccepted === false ? 'invalid_challenge' : 'invalid_credential',
        detail: error instanceof Error ? error.message.slice(0, 200) : undefined,
      });
      throw new UnprocessableEntityException([challengeAccepted === false ? STALE_CHALLENGE : CREDENTIAL_NOT_VERIFIED]);
    }
  }
}
