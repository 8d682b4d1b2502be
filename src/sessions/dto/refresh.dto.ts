import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class RefreshDto {
  /** Optional only in cookie mode (`X-Refresh-Cookie: 1`), where the cookie carries it. */
  @ApiPropertyOptional({ description: 'The latest refresh token; omit it in cookie mode' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refresh_token?: string;
}
