import { ApiProperty } from '@nestjs/swagger';

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
}
