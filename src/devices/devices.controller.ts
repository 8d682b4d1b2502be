import { Controller, Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentSessionId, CurrentUser } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { DeviceResponseDto } from './dto/device-response.dto';
import { KnownDevicesService } from './known-devices.service';

@ApiTags('Auth')
@Controller('api/auth/devices')
export class DevicesController {
  constructor(private readonly devices: KnownDevicesService) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'DevicesController_list',
    summary: "The user's known devices, most recently used first",
    description:
      'The browsers and clients that signed in to the account within DEVICE_COOKIE_TTL, each named by its ' +
      'device cookie: a sign-in from one of them is not told by e-mail, and it is spared the account lockout. ' +
      '`current` marks the device whose sign-in opened this session.',
  })
  @ApiOkResponse({ type: [DeviceResponseDto] })
  async list(@CurrentUser() user: User, @CurrentSessionId() sessionId: string): Promise<DeviceResponseDto[]> {
    const devices = await this.devices.listOwn(user.id, sessionId);
    return devices.map((device) => DeviceResponseDto.from(device));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Authenticated()
  @ApiOperation({
    operationId: 'DevicesController_forget',
    summary: "Forget one of the user's devices (`device_forgotten`)",
    description:
      'Its device cookie no longer counts as known: its next sign-in is a new device (an e-mail to the ' +
      'owner) and it is no longer spared the account lockout. Sessions it opened go on; end them with ' +
      '`DELETE /api/auth/sessions/{id}`.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Device forgotten' })
  @ApiNotFoundResponse({
    description: "Unknown, malformed, already forgotten, or another user's device",
    type: ErrorResponseDto,
  })
  forget(
    @Param('id', parseIdOr404('Device')) id: string,
    @CurrentUser() user: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.devices.forgetOwn(user.id, id, ip);
  }
}
