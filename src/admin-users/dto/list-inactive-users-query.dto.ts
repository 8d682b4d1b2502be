import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination.dto';

export const INACTIVE_STATUSES = ['pending', 'deactivated'] as const;
export type InactiveStatus = (typeof INACTIVE_STATUSES)[number];

export class ListInactiveUsersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    enum: INACTIVE_STATUSES,
    description: '`pending` narrows the list to sign-ups awaiting activation',
  })
  @IsOptional()
  @IsIn(INACTIVE_STATUSES)
  status?: InactiveStatus;
}
