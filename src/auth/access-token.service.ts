import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { ActiveSession } from '../sessions/sessions.repository';
import { IssuedSession } from '../sessions/sessions.service';
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

/** The session id (`sid`) of verified claims, if it is a UUID: a token without one (issued before sessions) is refused. */
export function sessionIdFromClaims(claims: unknown): string | undefined {
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { sid } = claims as Record<string, unknown>;
  return typeof sid === 'string' && UUID.test(sid) ? sid : undefined;
}

/** A bearer token's user, and the session it was issued for. */
export interface Authentication {
  user: User;
  sessionId: string;
  /** When the token expires (its `exp`): a live stream ends then. */
  expiresAtMs: number;
}

/** What a verified token says; its claims never change, so a repeat needs only its expiry checked. */
interface VerifiedToken {
  userId: string;
  sessionId: string;
  expiresAtMs: number;
}

/**
 * Issues a session's token pair (at login and refresh), and turns a bearer token back into its current user
 * and session for the guards.
 */
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

  issue(userId: string, session: IssuedSession): TokenResponseDto {
    return {
      // Signed synchronously: an HMAC of a few hundred bytes blocks nothing, and signAsync went through jws's
      // streams and a callback, about five times the CPU (~60 µs against ~12 µs per login).
      access_token: this.jwt.sign({ sub: userId, sid: session.id }),
      token_type: 'bearer',
      expires_in: this.config.jwtExpiresInSeconds,
      refresh_token: session.refreshToken,
      refresh_expires_in: Math.max(0, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000)),
    };
  }

  /** The user behind a bearer token; see authenticateSession. */
  async authenticate(token: string): Promise<User> {
    return (await this.authenticateSession(token)).user;
  }

  /**
   * The user and session behind a bearer token, as they stand now (AuthStateCache: from memory, yet
   * deactivation, demotion, logout and revocation take effect on the very next request). Only reads: a
   * session's last_used_at moves on refresh. Throws 401 for a bad, expired or malformed token, a token
   * without a session, an ended session, or an inactive user.
   */
  async authenticateSession(token: string): Promise<Authentication> {
    const verified = await this.verify(token);
    if (verified === undefined) {
      throw new UnauthorizedException(INVALID_TOKEN);
    }
    const [session, user] = await Promise.all([
      this.authState.session(verified.sessionId),
      this.authState.user(verified.userId),
    ]);
    return checkedAuthentication(verified, session, user);
  }

  /**
   * authenticateSession's answer without a promise, when memory holds all it needs: a token verified before
   * and still unexpired, its session and its user (the usual request). Undefined when something must be
   * verified or loaded first; throws the same 401s. In a CPU profile of /me, the promise chain was the
   * largest part of the route's own work.
   */
  authenticateFromMemory(token: string): Authentication | undefined {
    const verified = this.verifiedTokens.get(token);
    if (verified === undefined || Date.now() >= verified.expiresAtMs) return undefined;
    const session = this.authState.cachedSession(verified.sessionId);
    const user = this.authState.cachedUser(verified.userId);
    if (session === undefined || user === undefined) return undefined;
    return checkedAuthentication(verified, session, user);
  }

  private async verify(token: string): Promise<VerifiedToken | undefined> {
    const known = this.verifiedTokens.get(token);
    if (known !== undefined) {
      // As jsonwebtoken decides: expired from the second `exp` names.
      if (Date.now() < known.expiresAtMs) return known;
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
    const sessionId = sessionIdFromClaims(claims);
    if (userId === undefined || sessionId === undefined) return undefined;
    const verified = { userId, sessionId, expiresAtMs: (claims as { exp: number }).exp * 1000 };
    const maxEntries = this.config.authCache.maxEntries;
    if (maxEntries > 0) {
      this.verifiedTokens.set(token, verified);
      if (this.verifiedTokens.size > maxEntries) {
        this.verifiedTokens.delete(this.verifiedTokens.keys().next().value as string);
      }
    }
    return verified;
  }
}

function checkedAuthentication(
  { userId, sessionId, expiresAtMs }: VerifiedToken,
  session: ActiveSession | null,
  user: User | null,
): Authentication {
  if (session?.userId !== userId || !user?.isActive) {
    throw new UnauthorizedException(INVALID_TOKEN);
  }
  return { user, sessionId, expiresAtMs };
}
