import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString } from 'class-validator';
import { UserResponseDto } from '../../auth/dto/user-response.dto';
import { ADMIN_ACTIONS, AdminAction } from '../admin-users.service';

export const MAX_BULK_IDS = 1000;

export class BulkUserActionDto {
  @ApiProperty({ enum: ADMIN_ACTIONS })
  @IsIn(ADMIN_ACTIONS)
  action: AdminAction;

  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_BULK_IDS,
    uniqueItems: true,
    description:
      'User ids, each handled as its single route would handle it, in this order. An id given twice (in any ' +
      'letter case) is a 422: the second would only repeat or contradict the first',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_IDS)
  @IsString({ each: true })
  @ArrayUnique((id: unknown) => (typeof id === 'string' ? id.toLowerCase() : id), {
    message: 'ids must not contain the same id twice',
  })
  ids: string[];
}

export class BulkActionSucceededDto {
  @ApiProperty({ description: 'The id as sent' })
  id: string;

  @ApiProperty({ enum: [true] })
  ok: true;

  @ApiProperty({ type: UserResponseDto, description: 'The user after the action' })
  user: UserResponseDto;
}

export class BulkActionFailedDto {
  @ApiProperty({ description: 'The id as sent' })
  id: string;

  @ApiProperty({ enum: [false] })
  ok: false;

  @ApiProperty({
    example: 404,
    description:
      'What the single route would have answered: 400 (a rule of the action), 403 (the caller is no longer an ' +
      'admin), 404 (unknown or malformed id); 503 when the database stopped answering, for every well-formed ' +
      'id, none of which was done',
  })
  statusCode: number;

  @ApiProperty({ example: 'User not found' })
  message: string;
}

export type BulkActionResult = BulkActionSucceededDto | BulkActionFailedDto;

export class BulkActionResponseDto {
  @ApiProperty({
    description: 'One result per id, in the order of the request',
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(BulkActionSucceededDto) }, { $ref: getSchemaPath(BulkActionFailedDto) }] },
  })
  results: BulkActionResult[];
}
