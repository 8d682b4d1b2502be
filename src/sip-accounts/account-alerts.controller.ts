import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { CurrentUser, SuperuserOnly } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseBigintIdOr404 } from '../common/id-param.pipes';
import { ApiPagedResponse, withTotalCount } from '../common/total-count';
import { User } from '../database/entities/user.entity';
import { AccountAlertsService } from './account-alerts.service';
import { AccountAlertDto, AccountAlertQueryDto } from './dto/account-alerts.dto';

/** Alerts about SIP accounts: a credential compromise, a registration from a new network or country. */
@ApiTags('SIP accounts')
@Controller('api/sip-security/account-alerts')
export class AccountAlertsController {
  constructor(private readonly alerts: AccountAlertsService) {}

  @Get()
  @SuperuserOnly()
  @ApiOperation({ summary: 'Account alerts, newest first' })
  @ApiPagedResponse(AccountAlertDto, undefined, { capped: true })
  @ApiUnprocessableEntityResponse({ description: 'Invalid filter or paging', type: ErrorResponseDto })
  async listAccountAlerts(
    @Query() query: AccountAlertQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AccountAlertDto[]> {
    const page = await this.alerts.list({
      kind: query.kind,
      resolved: query.state === undefined ? undefined : query.state === 'resolved',
      username: query.username,
      domain: query.domain,
      since: query.since,
      until: query.until,
      skip: query.skip,
      limit: query.limit,
    });
    return withTotalCount(reply, page).map((alert) => AccountAlertDto.from(alert));
  }

  @Post(':id/resolve')
  @HttpCode(HttpStatus.OK)
  @SuperuserOnly()
  @ApiOperation({ summary: 'Mark an account alert handled (audited); resolving it again changes nothing' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiOkResponse({ type: AccountAlertDto })
  @ApiNotFoundResponse({ description: 'Unknown id', type: ErrorResponseDto })
  async resolveAccountAlert(
    @Param('id', parseBigintIdOr404('Account alert')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<AccountAlertDto> {
    return AccountAlertDto.from(await this.alerts.resolve(id, { id: actor.id, ip }));
  }
}
