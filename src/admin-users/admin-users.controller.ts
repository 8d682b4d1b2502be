import { applyDecorators, Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { UserResponseDto } from '../auth/dto/user-response.dto';
import { CurrentUser, SuperuserOnly } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ApiPagedResponse, withTotalCount } from '../common/total-count';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { AdminAction, AdminUsersService } from './admin-users.service';
import { BulkAdminActionsService, BulkOutcome } from './bulk-admin-actions.service';
import {
  BulkActionFailedDto,
  BulkActionResponseDto,
  BulkActionResult,
  BulkActionSucceededDto,
  BulkUserActionDto,
  MAX_BULK_IDS,
} from './dto/bulk-user-action.dto';
import { ListInactiveUsersQueryDto } from './dto/list-inactive-users-query.dto';
import { ListUsersQueryDto } from './dto/list-users-query.dto';

@ApiTags('Admin - User Management')
@Controller('api/admin/users')
@SuperuserOnly()
@ApiUnprocessableEntityResponse({ description: 'Invalid paging or filter', type: ErrorResponseDto })
@ApiExtraModels(BulkActionSucceededDto, BulkActionFailedDto)
export class AdminUsersController {
  constructor(
    private readonly adminUsers: AdminUsersService,
    private readonly bulkActions: BulkAdminActionsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List users, oldest first: all of them, or those matching every filter given',
    description: 'q: text in the e-mail or full name (case-insensitive); status; is_superuser: true or false',
  })
  @ApiPagedResponse(UserResponseDto)
  async list(
    @Query() query: ListUsersQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto[]> {
    const page = await this.adminUsers.list(query.skip, query.limit, {
      text: query.q,
      status: query.status,
      isSuperuser: query.is_superuser,
    });
    return withTotalCount(reply, page).map((item) => UserResponseDto.from(item));
  }

  @Get('inactive')
  @ApiOperation({ summary: 'List inactive users, oldest first (status=pending: sign-ups awaiting activation)' })
  @ApiPagedResponse(UserResponseDto)
  async listInactive(
    @Query() query: ListInactiveUsersQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto[]> {
    const page = await this.adminUsers.listInactive(query.skip, query.limit, query.status);
    return withTotalCount(reply, page).map((item) => UserResponseDto.from(item));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown or malformed id', type: ErrorResponseDto })
  async get(@Param('id', parseIdOr404('User')) id: string): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.adminUsers.get(id));
  }

  @Post('bulk')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Apply one action to up to 1000 users, each as its single route would',
    description:
      'Each id gets what its single route would answer (same rules, same log line, same e-mail), in request ' +
      'order: ok with the user, or not ok with the status code and message. All ids are done in one ' +
      'transaction, in which a refused id is only left out: it undoes nothing done for the others. Always 200 ' +
      'once the request is valid.',
  })
  @ApiOkResponse({ type: BulkActionResponseDto })
  @ApiUnprocessableEntityResponse({
    description: `Unknown action; ids empty, over ${MAX_BULK_IDS}, not all strings, or one id given twice`,
    type: ErrorResponseDto,
  })
  async bulk(
    @Body() body: BulkUserActionDto,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<BulkActionResponseDto> {
    const outcomes = await this.bulkActions.applyToAll(body.action, actor.id, body.ids, ip);
    return { results: outcomes.map(toBulkResult) };
  }

  @Post(':id/activate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Activate a user (a pending sign-up or a deactivated account)' })
  @ActionResponses()
  activate(@Param('id', parseIdOr404('User')) id: string, @CurrentUser() actor: User, @ClientIp() ip: string) {
    return this.apply('activate', actor, id, ip);
  }

  @Post(':id/deactivate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Deactivate a user: the user's tokens stop working at once" })
  @ActionResponses('Cannot deactivate your own account')
  deactivate(@Param('id', parseIdOr404('User')) id: string, @CurrentUser() actor: User, @ClientIp() ip: string) {
    return this.apply('deactivate', actor, id, ip);
  }

  @Post(':id/promote')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Grant admin privileges' })
  @ActionResponses('User is already an admin')
  promote(@Param('id', parseIdOr404('User')) id: string, @CurrentUser() actor: User, @ClientIp() ip: string) {
    return this.apply('promote', actor, id, ip);
  }

  @Post(':id/demote')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Revoke admin privileges, effective on the next request' })
  @ActionResponses('Cannot demote yourself; User is not an admin')
  demote(@Param('id', parseIdOr404('User')) id: string, @CurrentUser() actor: User, @ClientIp() ip: string) {
    return this.apply('demote', actor, id, ip);
  }

  private async apply(action: AdminAction, actor: User, id: string, ip: string): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.adminUsers.apply(action, actor.id, id, ip));
  }
}

function toBulkResult(outcome: BulkOutcome): BulkActionResult {
  return outcome.ok ? { id: outcome.id, ok: true, user: UserResponseDto.from(outcome.user) } : outcome;
}

function ActionResponses(badRequest?: string) {
  return applyDecorators(
    ApiParam({ name: 'id', format: 'uuid' }),
    ApiOkResponse({ type: UserResponseDto }),
    ApiNotFoundResponse({ description: 'Unknown or malformed id', type: ErrorResponseDto }),
    ...(badRequest ? [ApiBadRequestResponse({ description: badRequest, type: ErrorResponseDto })] : []),
  );
}
