import { Controller, Get, Param } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { SuperuserOnly } from '../auth/guards/decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { SourceDto } from './dto/responses.dto';
import { ParseIpPipe } from './ip-param.pipe';
import { SipSecurityOperation } from './sip-security-operation';
import { SipSourcesService } from './sip-sources.service';

/** One source address: its events, its ban state and its ban history. */
@ApiTags('SIP security')
@Controller('api/sip-security')
export class SipSourcesController {
  constructor(private readonly sources: SipSourcesService) {}

  @Get('sources/:ip')
  @SuperuserOnly()
  @SipSecurityOperation('getSource', {
    summary:
      'One source address: counts by kind, first and last seen, usernames tried, user agents, door-knock reasons, ban state and ban history',
  })
  @ApiParam({ name: 'ip', example: '203.0.113.7' })
  @ApiOkResponse({ type: SourceDto })
  @ApiBadRequestResponse({ description: 'Not an IP address', type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'No event and no ban of this address', type: ErrorResponseDto })
  async getSource(@Param('ip', new ParseIpPipe()) ip: string): Promise<SourceDto> {
    return SourceDto.from(await this.sources.report(ip));
  }
}
