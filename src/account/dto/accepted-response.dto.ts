import { ApiProperty } from '@nestjs/swagger';

/** The 202 answer of the routes that may send an e-mail: the same whatever the address. */
export class AcceptedResponseDto {
  @ApiProperty({ example: 'If the address belongs to an account, an e-mail is on its way' })
  message: string;
}
