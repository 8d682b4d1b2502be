import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Challenge, createChallenge, Payload, randomInt, verifySolution } from 'altcha-lib';
import { deriveKey as pbkdf2DeriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { BatchedPruner } from '../common/batched-pruner';
import { AppConfig, CaptchaConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { deriveKey } from '../config/derived-secret';
import { CaptchaRepository } from './captcha.repository';

/** ALTCHA's recommended proof of work: PBKDF2 runs natively in every browser's Web Crypto. */
const ALGORITHM = 'PBKDF2/SHA-256';
/** Spent challenges are refused anyway once expired (CAPTCHA_EXPIRES, 10 minutes by default). */
const PRUNE_INTERVAL_MS = 600_000;

export type CaptchaRejection = 'missing' | 'invalid' | 'expired' | 'replayed';

export class CaptchaRejectedError extends Error {
  constructor(readonly reason: CaptchaRejection) {
    super(`captcha ${reason}`);
  }
}

/**
 * Self-hosted ALTCHA (altcha-lib, proof of work v2): signed, expiring challenges, and the check of a
 * solved one, which is then spent for every instance (captcha_spent_challenges). Deterministic mode: the
 * server draws the counter the client must find, so the work asked is bounded (CAPTCHA_MAX_COUNTER), and a
 * signature of the expected key makes the check one HMAC.
 */
@Injectable()
export class CaptchaService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Captcha');
  private readonly settings: CaptchaConfig;
  private readonly signatureSecret: string;
  private readonly keySignatureSecret: string;
  private readonly pruner = new BatchedPruner('Spent challenge', 'Captcha');

  constructor(
    private readonly spent: CaptchaRepository,
    @InjectConfig() config: AppConfig,
  ) {
    this.settings = config.captcha;
    if (this.enabled && !config.captcha.hmacKey) {
      this.logger.warn(
        'CAPTCHA_HMAC_KEY is not set: ALTCHA challenges are signed with a key derived from the JWT secret',
      );
    }
    const base = config.captcha.hmacKey ?? config.jwtSecret!;
    this.signatureSecret = deriveKey(base, 'altcha-challenge').toString('hex');
    this.keySignatureSecret = deriveKey(base, 'altcha-key').toString('hex');
  }

  get enabled(): boolean {
    return this.settings.mode === 'altcha';
  }

  onApplicationBootstrap(): void {
    if (this.enabled) this.pruner.start(() => this.pruneExpired(), PRUNE_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }

  /** Deletes the records of spent challenges that have expired; returns how many. */
  pruneExpired(): Promise<number> {
    return this.pruner.deleteInBatches((limit) => this.spent.deleteExpired(limit));
  }

  createChallenge(): Promise<Challenge> {
    const { cost, maxCounter, expiresSeconds } = this.settings;
    return createChallenge({
      algorithm: ALGORITHM,
      cost,
      counter: randomInt(maxCounter, Math.ceil(maxCounter / 2)),
      deriveKey: pbkdf2DeriveKey,
      expiresAt: Math.floor(Date.now() / 1000) + expiresSeconds,
      hmacSignatureSecret: this.signatureSecret,
      hmacKeySignatureSecret: this.keySignatureSecret,
    });
  }

  /** Accepts a solved challenge (the widget's base64 payload) once; throws CaptchaRejectedError otherwise. */
  async verifyAndSpend(encodedPayload: unknown): Promise<void> {
    if (typeof encodedPayload !== 'string' || encodedPayload === '') throw new CaptchaRejectedError('missing');
    const payload = decodePayload(encodedPayload);
    if (!payload) throw new CaptchaRejectedError('invalid');
    const result = await verifySolution({
      challenge: payload.challenge,
      solution: payload.solution,
      deriveKey: pbkdf2DeriveKey,
      hmacSignatureSecret: this.signatureSecret,
      hmacKeySignatureSecret: this.keySignatureSecret,
    }).catch(() => undefined);
    if (result?.expired) throw new CaptchaRejectedError('expired');
    // Only challenges issued here verify, and each of those carries expiresAt and a key signature.
    const { signature, parameters } = payload.challenge;
    if (!result?.verified || !signature || !parameters.expiresAt || !parameters.keySignature) {
      throw new CaptchaRejectedError('invalid');
    }
    if (!(await this.spent.markSpent(signature, new Date(parameters.expiresAt * 1000)))) {
      throw new CaptchaRejectedError('replayed');
    }
  }
}

/** The widget's payload: base64 of `{"challenge":{"parameters":{…},"signature":"…"},"solution":{…}}`. */
function decodePayload(encoded: string): Payload | undefined {
  if (encoded.length > 8192) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Payload;
    const { challenge, solution } = payload ?? {};
    return isObject(challenge) && isObject(challenge.parameters) && isObject(solution) ? payload : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
