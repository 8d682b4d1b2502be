import { ApiProperty } from '@nestjs/swagger';
import { SessionSummary } from '../sessions.repository';

/** A session as its owner and admins see it: never a token or hash. */
export class SessionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time', description: 'The login that opened it' })
  created_at: string;

  @ApiProperty({ format: 'date-time', description: 'The login, or the latest refresh' })
  last_used_at: string;

  @ApiProperty({ type: 'string', nullable: true, description: 'Client IP of the login or latest refresh' })
  ip: string | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'User-Agent of the login or latest refresh' })
  user_agent: string | null;

  @ApiProperty({ description: 'True for the session of the bearer token making this request' })
  current: boolean;

  static from(session: SessionSummary, currentSessionId: string): SessionResponseDto {
    return {
      id: session.id,
      created_at: session.createdAt.toISOString(),
      last_used_at: session.lastUsedAt.toISOString(),
      ip: session.ip,
      user_agent: session.userAgent,
      current: session.id === currentSessionId,
    };
  }
}
