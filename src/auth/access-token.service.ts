import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { SessionsRepository } from '../sessions/sessions.repository';
import { IssuedSession } from '../sessions/sessions.service';
import { TokenResponseDto } from './dto/token-response.dto';
import { UsersRepository } from './users.repository';

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
}

/**
 * Issues a session's token pair (at login and refresh), and turns a bearer token back into its (freshly
 * loaded) user and session for the guards.
 */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async issue(userId: string, session: IssuedSession): Promise<TokenResponseDto> {
    return {
      access_token: await this.jwt.signAsync({ sub: userId, sid: session.id }),
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
   * The user and session behind a bearer token, both reloaded on every request so that deactivation,
   * demotion, logout and revocation take effect on the very next one. Only reads: a session's
   * last_used_at moves on refresh. Throws 401 for a bad, expired or malformed token, a token without a
   * session, an ended session, or an inactive user.
   */
  async authenticateSession(token: string): Promise<Authentication> {
    let claims: unknown;
    try {
      claims = await this.jwt.verifyAsync<object>(token);
    } catch {
      throw new UnauthorizedException(INVALID_TOKEN);
    }
    const userId = userIdFromClaims(claims);
    const sessionId = sessionIdFromClaims(claims);
    if (userId === undefined || sessionId === undefined) {
      throw new UnauthorizedException(INVALID_TOKEN);
    }
    const [session, user] = await Promise.all([
      this.sessions.findActiveSession(sessionId),
      this.users.loadById(userId),
    ]);
    if (session?.userId !== userId || !user?.isActive) {
      throw new UnauthorizedException(INVALID_TOKEN);
    }
    return { user, sessionId };
  }
}
