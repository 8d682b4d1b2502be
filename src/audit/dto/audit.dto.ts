import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsIpAddress } from '../../common/cidr';
import { TimeWindowQueryDto } from '../../common/time-window-query.dto';
import { AuditEntry } from '../audit.repository';

export class AuditQueryDto extends TimeWindowQueryDto {
  @ApiPropertyOptional({ example: 'login_failed', description: 'A security-log event name' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z_]+$/, { message: 'event must be an event name (lower-case letters and underscores)' })
  event?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The admin who acted' })
  @IsOptional()
  @IsUUID()
  actor_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The user the event is about' })
  @IsOptional()
  @IsUUID()
  target_id?: string;

  @ApiPropertyOptional({ example: '203.0.113.7', description: 'The client IP of the event' })
  @IsOptional()
  @IsIpAddress()
  ip?: string;
}

export class AuditEventResponseDto {
  @ApiProperty({ type: 'integer', example: 42 })
  id: number;

  @ApiProperty({ format: 'date-time', description: 'The time of the security-log line' })
  time: string;

  @ApiProperty({ example: 'admin_action' })
  event: string;

  @ApiProperty({ type: 'string', nullable: true, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    nullable: true,
    description: 'The admin who acted; null when no user did (`details.actor` is "system" for ADMIN_EMAIL and the CLI)',
  })
  actor_id: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'admin@example.com',
    description: "The acting admin's current e-mail address; null when no user acted or the user no longer exists",
  })
  actor_email: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, description: 'The user the event is about' })
  target_id: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'user@example.com',
    description:
      "The target user's current e-mail address; null when the event names no user or the user no longer exists " +
      '(the address at the time, when the event had one, stays in `details`)',
  })
  target_email: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The event's other fields, as in the security log",
    example: { action: 'activate', target_email: 'user@example.com' },
  })
  details: Record<string, unknown>;

  static from({ event, actorEmail, targetEmail }: AuditEntry): AuditEventResponseDto {
    return {
      id: Number(event.id),
      time: event.time.toISOString(),
      event: event.event,
      ip: event.ip,
      actor_id: event.actorId,
      actor_email: actorEmail,
      target_id: event.targetId,
      target_email: targetEmail,
      details: event.details,
    };
  }
}
