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

/** Issues access tokens at login, and turns a bearer token back into its current user for the guards. */
@Injectable()
export class AccessTokenService {
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
   * demotion take effect on the very next request). Throws 401 for a bad, expired or malformed token or an inactive user.
   */
  async authenticate(token: string): Promise<User> {
    let claims: unknown;
    try {
      claims = await this.jwt.verifyAsync<object>(token);
    } catch {
      throw new UnauthorizedException(INVALID_TOKEN);
    }
    const userId = userIdFromClaims(claims);
    const user = userId === undefined ? null : await this.authState.user(userId);
    if (!user?.isActive) {
      throw new UnauthorizedException(INVALID_TOKEN);
    }
    return user;
  }
}
