import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { CurrentUser, SuperuserOnly } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseIdOr404 } from '../common/id-param.pipes';
import { PaginationQueryDto } from '../common/pagination.dto';
import { ApiPagedResponse, withTotalCount } from '../common/total-count';
import { User } from '../database/entities/user.entity';
import { CreateInvitationDto } from './dto/create-invitation.dto';
import { InvitationResponseDto } from './dto/invitation-response.dto';
import { InvitationsService } from './invitations.service';

@ApiTags('Admin - Invitations')
@Controller('api/admin/invitations')
@SuperuserOnly()
@ApiUnprocessableEntityResponse({ description: 'Invalid or unknown field, or invalid paging', type: ErrorResponseDto })
export class InvitationsAdminController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post()
  @ApiOperation({
    summary: 'Invite an address: it is sent a link to /accept-invite, valid once and for INVITATION_TTL',
    description:
      'A pending invitation to the same address is revoked (replaced). Works in every REGISTRATION_MODE. ' +
      'Logged and audited as `invitation_created`.',
  })
  @ApiCreatedResponse({ type: InvitationResponseDto })
  @ApiConflictResponse({ description: 'Email already registered', type: ErrorResponseDto })
  async create(
    @Body() dto: CreateInvitationDto,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<InvitationResponseDto> {
    const invitation = await this.invitations.invite({ id: actor.id, ip }, dto.email, dto.is_superuser ?? false);
    return InvitationResponseDto.from(invitation);
  }

  @Get()
  @ApiOperation({ summary: 'Invitations, newest first, with their status (never their link)' })
  @ApiPagedResponse(InvitationResponseDto)
  async list(
    @Query() query: PaginationQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InvitationResponseDto[]> {
    const page = await this.invitations.list(query.skip, query.limit);
    return withTotalCount(reply, page).map((item) => InvitationResponseDto.from(item));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a pending invitation: its link stops working (`invitation_revoked`)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ description: 'Unknown or malformed id', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The invitation is accepted, revoked or expired', type: ErrorResponseDto })
  async revoke(
    @Param('id', parseIdOr404('Invitation')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    await this.invitations.revoke({ id: actor.id, ip }, id);
  }
}
