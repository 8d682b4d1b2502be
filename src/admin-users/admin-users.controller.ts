import { applyDecorators, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
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
import { PaginationQueryDto } from '../common/pagination.dto';
import { ApiPagedResponse, withTotalCount } from '../common/total-count';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { AdminAction, AdminUsersService } from './admin-users.service';
import { ListInactiveUsersQueryDto } from './dto/list-inactive-users-query.dto';

@ApiTags('Admin - User Management')
@Controller('api/admin/users')
@SuperuserOnly()
@ApiUnprocessableEntityResponse({ description: 'Invalid paging or filter', type: ErrorResponseDto })
export class AdminUsersController {
  constructor(private readonly adminUsers: AdminUsersService) {}

  @Get()
  @ApiOperation({ summary: 'List all users, oldest first' })
  @ApiPagedResponse(UserResponseDto)
  async list(
    @Query() query: PaginationQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto[]> {
    const page = await this.adminUsers.list(query.skip, query.limit);
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

function ActionResponses(badRequest?: string) {
  return applyDecorators(
    ApiParam({ name: 'id', format: 'uuid' }),
    ApiOkResponse({ type: UserResponseDto }),
    ApiNotFoundResponse({ description: 'Unknown or malformed id', type: ErrorResponseDto }),
    ...(badRequest ? [ApiBadRequestResponse({ description: badRequest, type: ErrorResponseDto })] : []),
  );
}
