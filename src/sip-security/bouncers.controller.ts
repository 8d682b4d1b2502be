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
import { BouncersService } from './bouncers.service';
import { BouncerDto, CreateBouncerDto, CreatedBouncerDto } from './dto/bouncers.dto';

@ApiTags('SIP security')
@Controller('api/sip-security/bouncers')
export class BouncersController {
  constructor(private readonly bouncers: BouncersService) {}

  @Get()
  @SuperuserOnly()
  @ApiOperation({ summary: 'Firewall bouncer keys in force (never the keys themselves)' })
  @ApiOkResponse({ type: [BouncerDto] })
  async list(): Promise<BouncerDto[]> {
    return (await this.bouncers.list()).map((item) => BouncerDto.from(item));
  }

  @Post()
  @SuperuserOnly()
  @ApiOperation({ summary: 'Create a bouncer key for /v1/decisions and the ban export; the key is shown once' })
  @ApiCreatedResponse({ type: CreatedBouncerDto })
  @ApiUnprocessableEntityResponse({ description: 'Missing or bad name', type: ErrorResponseDto })
  async create(
    @Body() dto: CreateBouncerDto,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<CreatedBouncerDto> {
    return CreatedBouncerDto.fromCreated(await this.bouncers.create(dto.name, { id: actor.id, ip }));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @SuperuserOnly()
  @ApiOperation({ summary: 'Revoke a bouncer key: its next request is a 401' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ description: 'No bouncer key in force with this id', type: ErrorResponseDto })
  revoke(
    @Param('id', parseBigintIdOr404('Bouncer')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.bouncers.revoke(id, { id: actor.id, ip });
  }
}
