import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The one error shape every route returns (documented once, referenced by every error response). */
export class ErrorResponseDto {
  @ApiProperty({ example: 422 })
  statusCode: number;

  @ApiProperty({ example: 'Unprocessable Entity' })
  error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['password must contain an upper-case letter'],
  })
  message: string | string[];

  @ApiPropertyOptional({
    example: true,
    description: "Only on login's 401 `Second factor required`: send the account's TOTP or recovery code as `otp`",
  })
  mfa_required?: boolean;
}
