import { Module } from '@nestjs/common';
import { DeviceCookie } from './device-cookie';
import { KnownDevicesRepository } from './known-devices.repository';
import { KnownDevicesService } from './known-devices.service';

/**
 * Known devices: the signed device cookie and the known_devices table behind it. Login (AuthModule) and the
 * lockout (AccountCoreModule) use them; nothing here depends on either.
 */
@Module({
  providers: [KnownDevicesRepository, KnownDevicesService, DeviceCookie],
  exports: [KnownDevicesRepository, KnownDevicesService, DeviceCookie],
})
export class DevicesModule {}
