import { Injectable } from '@nestjs/common';
import { AccessTokenService } from '../auth/access-token.service';
import { TokenResponseDto } from '../auth/dto/token-response.dto';
import { SessionClient, SessionsService } from './sessions.service';

/** A refresh: the session's next refresh token, and a new access token for it. */
@Injectable()
export class SessionTokensService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly tokens: AccessTokenService,
  ) {}

  async refresh(refreshToken: string, client: SessionClient): Promise<TokenResponseDto> {
    const { userId, session } = await this.sessions.rotate(refreshToken, client);
    return this.tokens.issue(userId, session);
  }
}
