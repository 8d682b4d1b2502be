import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentUser, SuperuserOnly } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseBigintIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { AllowlistService } from './allowlist.service';
import { CreateAllowlistEntryDto } from './dto/ban-requests.dto';
import { AllowlistEntryDto } from './dto/responses.dto';
import { SipSecurityOperation } from './sip-security-operation';

/** The CIDRs never banned automatically (trunks, PBXs). */
@ApiTags('SIP security')
@Controller('api/sip-security')
export class SipAllowlistController {
  constructor(private readonly allowlist: AllowlistService) {}

  @Get('allowlist')
  @SuperuserOnly()
  @SipSecurityOperation('listAllowlist', { summary: 'CIDRs never banned automatically' })
  @ApiOkResponse({ type: [AllowlistEntryDto] })
  async listAllowlist(): Promise<AllowlistEntryDto[]> {
    return (await this.allowlist.list()).map((item) => AllowlistEntryDto.from(item));
  }

  @Post('allowlist')
  @SuperuserOnly()
  @SipSecurityOperation('addToAllowlist', {
    summary: 'Allowlist a CIDR (trunks, PBXs: allowlist them before flood checks bite)',
  })
  @ApiCreatedResponse({ type: AllowlistEntryDto })
  @ApiUnprocessableEntityResponse({
    description: 'Bad CIDR, or one wider than the minimum prefix without force',
    type: ErrorResponseDto,
  })
  @ApiConflictResponse({ description: 'Already allowlisted', type: ErrorResponseDto })
  async addToAllowlist(
    @Body() dto: CreateAllowlistEntryDto,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<AllowlistEntryDto> {
    const request = { cidr: dto.cidr, description: dto.description, force: dto.force ?? false };
    return AllowlistEntryDto.from(await this.allowlist.add(request, { id: actor.id, ip }));
  }

  @Delete('allowlist/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @SuperuserOnly()
  @SipSecurityOperation('removeFromAllowlist', { summary: 'Remove an allowlist entry' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse({ description: 'Unknown id', type: ErrorResponseDto })
  removeFromAllowlist(
    @Param('id', parseBigintIdOr404('Allowlist entry')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.allowlist.remove(id, { id: actor.id, ip });
  }
}
