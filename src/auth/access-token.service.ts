import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { AuthStateCache } from './auth-state/auth-state-cache.service';
import { TokenResponseDto } from './dto/token-response.dto';

const INVALID_TOKEN = 'Invalid or expired token';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The user id a verified token names, or undefined unless its claims have the shape `issue` signs:
 * `sub` a UUID, `exp` a number (a token without `exp` would never expire). jsonwebtoken checks `exp` only
 * when it is present, and an unchecked `sub` would reach PostgreSQL's uuid parser as a 500.
 */
export function userIdFromClaims(claims: unknown): string | undefined {
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { sub, exp } = claims as Record<string, unknown>;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  return typeof sub === 'string' && UUID.test(sub) ? sub : undefined;
}

/** What a verified token says; its claims never change, so a repeat needs only its expiry checked. */
interface VerifiedToken {
  userId: string;
  expiresAtMs: number;
}

/** Issues access tokens at login, and turns a bearer token back into its current user for the guards. */
@Injectable()
export class AccessTokenService {
  /**
   * Tokens already verified, at most AUTH_CACHE_MAX_ENTRIES (the oldest goes first): verifying the signature
   * and parsing the claims again was about a tenth of an authenticated request's CPU time (docs/BENCHMARKS.md).
   * Only tokens that passed verification get in.
   */
  private readonly verifiedTokens = new Map<string, VerifiedToken>();

  constructor(
    private readonly jwt: JwtService,
    private readonly authState: AuthStateCache,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async issue(user: User): Promise<TokenResponseDto> {
    return {
      access_token: await this.jwt.signAsync({ sub: user.id }),
      token_type: 'bearer',
      expires_in: this.config.jwtExpiresInSeconds,
    };
  }

  /**
   * The user behind a bearer token, as it stands now (AuthStateCache: from memory, yet deactivation and
   * demotion take effect on the very next request). Throws 401 for a bad, expired or malformed token or an
   * inactive user.
   */
  async authenticate(token: string): Promise<User> {
    const userId = await this.verifiedUserId(token);
    const user = userId === undefined ? null : await this.authState.user(userId);
    if (!user?.isActive) {
      throw new UnauthorizedException(INVALID_TOKEN);
    }
    return user;
  }

  private async verifiedUserId(token: string): Promise<string | undefined> {
    const known = this.verifiedTokens.get(token);
    if (known !== undefined) {
      // As jsonwebtoken decides: expired from the second `exp` names.
      if (Date.now() < known.expiresAtMs) return known.userId;
      this.verifiedTokens.delete(token);
      return undefined;
    }
    let claims: unknown;
    try {
      claims = await this.jwt.verifyAsync<object>(token);
    } catch {
      return undefined;
    }
    const userId = userIdFromClaims(claims);
    const maxEntries = this.config.authCache.maxEntries;
    if (userId !== undefined && maxEntries > 0) {
      this.verifiedTokens.set(token, { userId, expiresAtMs: (claims as { exp: number }).exp * 1000 });
      if (this.verifiedTokens.size > maxEntries) {
        this.verifiedTokens.delete(this.verifiedTokens.keys().next().value as string);
      }
    }
    return userId;
  }
}
