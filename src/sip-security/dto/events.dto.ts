import { ApiProperty } from '@nestjs/swagger';

export class IngestResultDto {
  @ApiProperty({ description: 'Events stored' })
  accepted: number;

  @ApiProperty({ description: 'Events not stored: 401/407 digest challenges' })
  ignored: number;
}
