import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DevicesController } from './devices.controller';
import { DevicesModule } from './devices.module';

/** The owner's device routes; apart from DevicesModule, which AuthModule itself imports for login. */
@Module({
  imports: [AuthModule, DevicesModule],
  controllers: [DevicesController],
})
export class DeviceRoutesModule {}
