import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NoNullCharacters } from '../../common/text';
import { Bouncer } from '../bouncers.repository';
import { CreatedBouncer } from '../bouncers.service';

export class CreateBouncerDto {
  @ApiProperty({ example: 'edge firewall fw1', maxLength: 100 })
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(100)
  name: string;
}

export class BouncerDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The first characters of the key, to tell keys apart' }) key_prefix: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Its last pull of the decision stream',
  })
  last_pull_at: string | null;

  static from(bouncer: Bouncer): BouncerDto {
    return {
      id: Number(bouncer.id),
      name: bouncer.name,
      key_prefix: bouncer.keyPrefix,
      created_at: bouncer.createdAt.toISOString(),
      last_pull_at: bouncer.lastPullAt?.toISOString() ?? null,
    };
  }
}

export class CreatedBouncerDto extends BouncerDto {
  @ApiProperty({ description: "The bouncer's X-Api-Key: shown this once, stored only as a hash" }) key: string;

  static fromCreated({ bouncer, key }: CreatedBouncer): CreatedBouncerDto {
    return { ...BouncerDto.from(bouncer), key };
  }
}
