import { Module } from '@nestjs/common';
import { DeviceCookie } from './device-cookie';
import { KnownDevicesRepository } from './known-devices.repository';
import { KnownDevicesService } from './known-devices.service';
import { NewDeviceNoticesService } from './new-device-notices.service';

/**
 * Known devices: the signed device cookie and the known_devices table behind it, and the e-mail telling
 * the owner of a new one. Login (AuthModule) and the lockout (AccountCoreModule) use them; nothing here
 * depends on either (the owner's routes are in DeviceRoutesModule).
 */
@Module({
  providers: [KnownDevicesRepository, KnownDevicesService, NewDeviceNoticesService, DeviceCookie],
  exports: [KnownDevicesRepository, KnownDevicesService, DeviceCookie],
})
export class DevicesModule {}
