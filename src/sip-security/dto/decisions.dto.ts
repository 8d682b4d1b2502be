import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsIpAddress } from '../../common/cidr';

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class DecisionDto {
  @ApiProperty({ description: 'The ban id' }) id: number;
  @ApiProperty({ enum: ['regshield'] }) origin: string;
  @ApiProperty({ enum: ['ban'] }) type: string;
  @ApiProperty({ enum: ['Ip', 'Range'] }) scope: string;
  @ApiProperty({ example: '203.0.113.7', description: 'An address (Ip) or a CIDR (Range)' }) value: string;
  @ApiProperty({ example: '59m58s', description: "Time left, as Go's time.Duration; a ban until lifted says 960h0m0s" })
  duration: string;
  @ApiProperty({ description: "The ban's reason" }) scenario: string;
}

export class DecisionStreamDto {
  @ApiProperty({ type: [DecisionDto] }) new: DecisionDto[];
  @ApiProperty({ type: [DecisionDto] }) deleted: DecisionDto[];
}

/** Stock bouncers may send CrowdSec's filters; they are accepted, and every decision here is a ban. */
class BouncerFiltersDto {
  @ApiPropertyOptional({ description: 'Accepted for compatibility; ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  scopes?: string;

  @ApiPropertyOptional({ description: 'Accepted for compatibility; ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  origins?: string;

  @ApiPropertyOptional({ description: 'Accepted for compatibility; ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  scenarios_containing?: string;

  @ApiPropertyOptional({ description: 'Accepted for compatibility; ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  scenarios_not_containing?: string;
}

export class DecisionStreamQueryDto extends BouncerFiltersDto {
  @ApiPropertyOptional({
    type: 'boolean',
    default: false,
    description: 'true: every active ban as new (a bouncer starting)',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  startup: boolean = false;
}

export class DecisionsQueryDto extends BouncerFiltersDto {
  @ApiPropertyOptional({ example: '203.0.113.7', description: 'Only the bans covering this address' })
  @IsOptional()
  @IsIpAddress()
  ip?: string;
}
