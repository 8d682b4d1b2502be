import { ApiProperty } from '@nestjs/swagger';
import { DeviceSummary } from '../known-devices.repository';
import { describeUserAgent } from '../user-agent';

/** A known device as its owner sees it: never its cookie. */
export class DeviceResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({
    description: 'The browser and system its User-Agent names, readably ("Chrome 141 on Linux")',
    example: 'Firefox 133 on Windows 10',
  })
  browser: string;

  @ApiProperty({ type: 'string', nullable: true, description: 'User-Agent of its latest sign-in, as sent' })
  user_agent: string | null;

  @ApiProperty({ format: 'date-time', description: 'Its first sign-in to the account' })
  first_seen_at: string;

  @ApiProperty({ format: 'date-time', description: 'Its latest sign-in' })
  last_seen_at: string;

  @ApiProperty({ type: 'string', nullable: true, description: 'Client IP of its latest sign-in' })
  last_ip: string | null;

  @ApiProperty({ description: 'True for the device whose sign-in opened the session making this request' })
  current: boolean;

  static from(device: DeviceSummary): DeviceResponseDto {
    return {
      id: device.id,
      browser: describeUserAgent(device.userAgent),
      user_agent: device.userAgent,
      first_seen_at: device.createdAt.toISOString(),
      last_seen_at: device.lastUsedAt.toISOString(),
      last_ip: device.lastIp,
      current: device.current,
    };
  }
}
