import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BatchedPruner } from '../common/batched-pruner';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { deriveKey } from '../config/derived-secret';
import { signDeviceClaim, verifyDeviceClaim } from './device-cookie';
import { truncatedUserAgent } from '../sessions/sessions.service';
import { KnownDevice, KnownDevicesRepository } from './known-devices.repository';

/** Devices remembered per account; past this, the least recently used are forgotten. */
export const MAX_KNOWN_DEVICES_PER_USER = 50;

/**
 * The devices (browsers, clients keeping cookies) that signed in to an account, each named by a signed
 * device cookie. Login asks which known device of the account a request comes from (LockoutService then
 * applies that device's lock instead of the account's), and remembers each successful sign-in. A device
 * unused for DEVICE_COOKIE_TTL is no longer recognised, and is deleted at start and hourly.
 */
@Injectable()
export class KnownDevicesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly pruner = new BatchedPruner('Known device', KnownDevicesService.name);

  constructor(
    private readonly devices: KnownDevicesRepository,
    @InjectConfig() config: AppConfig,
  ) {
    // Derived from the JWT secret: replacing that secret signs everyone out, and forgets every device too.
    this.key = deriveKey(config.jwtSecret!, 'device-cookie');
    this.ttlMs = config.lockout.deviceCookieTtlSeconds * 1000;
  }

  onApplicationBootstrap(): void {
    this.pruner.start(() => this.pruneUnused());
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }

  /**
   * The known device of this user that the cookie names, or undefined: no cookie, a forged or altered one,
   * another account's, or a device forgotten or unused for DEVICE_COOKIE_TTL. The signature is checked
   * before the database is asked.
   */
  async recognise(cookie: string | undefined, userId: string): Promise<KnownDevice | undefined> {
    const claim = verifyDeviceClaim(this.key, cookie);
    if (claim?.userId !== userId) return undefined;
    return this.devices.findRecentOfUser(claim.deviceId, userId, new Date(Date.now() - this.ttlMs));
  }

  /**
   * A successful sign-in: a recognised device is used again (its failures start over), any other request
   * becomes a new known device. Returns the device cookie's value to set.
   */
  async rememberSignIn(
    userId: string,
    device: KnownDevice | undefined,
    client: { ip: string; userAgent?: string },
    tx?: EntityManager,
  ): Promise<string> {
    const stored = { ip: client.ip, userAgent: truncatedUserAgent(client.userAgent) };
    let deviceId: string;
    if (device) {
      await this.devices.recordSignIn(device.id, stored, tx);
      deviceId = device.id;
    } else {
      deviceId = await this.devices.insert(userId, stored, MAX_KNOWN_DEVICES_PER_USER, tx);
    }
    return signDeviceClaim(this.key, { deviceId, userId });
  }

  /** Returns how many devices were deleted. */
  pruneUnused(): Promise<number> {
    const before = new Date(Date.now() - this.ttlMs);
    return this.pruner.deleteInBatches((limit) => this.devices.deleteUnusedSince(before, limit));
  }
}
