import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TokenResponseDto {
  @ApiProperty()
  access_token: string;

  @ApiProperty({ example: 'bearer' })
  token_type: 'bearer';

  @ApiProperty({ description: 'Lifetime of the access token in seconds', example: 900 })
  expires_in: number;

  @ApiPropertyOptional({
    description:
      'Single-use token for POST /api/auth/refresh. Left out when the request carried `X-Refresh-Cookie: 1`: ' +
      'it is then in the `regshield_refresh` cookie instead',
  })
  refresh_token?: string;

  @ApiProperty({ description: 'Seconds the session (and so this refresh token) has left', example: 1209600 })
  refresh_expires_in: number;
}
