import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentUser, SuperuserOnly } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseBigintIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { AccountBlocksService } from './account-blocks.service';
import { AccountBlockDto, CreateAccountBlockDto } from './dto/account-blocks.dto';

/** SIP accounts refused at the proxy (every REGISTER and INVITE answered 403), whole or from one source. */
@ApiTags('SIP accounts')
@Controller('api/sip-security/account-blocks')
export class AccountBlocksController {
  constructor(private readonly blocks: AccountBlocksService) {}

  @Get()
  @SuperuserOnly()
  @ApiOperation({ summary: 'Active account blocks, newest first' })
  @ApiOkResponse({ type: [AccountBlockDto] })
  async listAccountBlocks(): Promise<AccountBlockDto[]> {
    return (await this.blocks.listActive()).map((block) => AccountBlockDto.from(block));
  }

  @Post()
  @SuperuserOnly()
  @ApiOperation({ summary: 'Block a SIP account (or one username from one source) at the proxy, within 1 s' })
  @ApiCreatedResponse({ type: AccountBlockDto })
  @ApiUnprocessableEntityResponse({
    description: 'Invalid username, domain, reason, duration or source',
    type: ErrorResponseDto,
  })
  async createAccountBlock(
    @Body() dto: CreateAccountBlockDto,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<AccountBlockDto> {
    const request = {
      username: dto.username,
      domain: dto.domain,
      reason: dto.reason,
      durationSeconds: dto.duration_seconds ?? null,
      sourceIp: dto.source_ip ?? null,
    };
    return AccountBlockDto.from(await this.blocks.createManual(request, { id: actor.id, ip }));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @SuperuserOnly()
  @ApiOperation({ summary: 'Unblock (audited): the proxy accepts the account again within 1 s' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiNoContentResponse({ description: 'Unblocked' })
  @ApiNotFoundResponse({ description: 'Unknown id, or not active', type: ErrorResponseDto })
  deleteAccountBlock(
    @Param('id', parseBigintIdOr404('Account block')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.blocks.lift(id, { id: actor.id, ip });
  }
}
