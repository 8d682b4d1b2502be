import { Injectable, NotFoundException, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BatchedPruner } from '../common/batched-pruner';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { deriveKey } from '../config/derived-secret';
import { signDeviceClaim, verifyDeviceClaim } from './device-cookie';
import { normalizeIp } from '../common/cidr';
import { truncatedUserAgent } from '../sessions/sessions.service';
import {
  DeviceClient,
  DeviceLookup,
  DeviceSummary,
  KnownDevice,
  KnownDevicesRepository,
} from './known-devices.repository';
import { NewDeviceNoticesService, SignedInUser } from './new-device-notices.service';

/**
 * Devices remembered per account, never more, even with concurrent sign-ins (KnownDevicesRepository.insert);
 * past this, the least recently used are forgotten.
 */
export const MAX_KNOWN_DEVICES_PER_USER = 50;

export const DEVICE_NOT_FOUND = 'Device not found';

/**
 * How stale a known device's last use may be left: a sign-in from the same IP and User-Agent within this of
 * the last one, with no failures to start over, writes nothing to the device (a script or a busy browser
 * signing in again and again would otherwise rewrite the row, and wait for its lock, on every login).
 */
export const DEVICE_LAST_USED_PRECISION_MS = 60_000;

/** What a sign-in leaves: the known device it came from, and the device cookie naming it. */
export interface DeviceSignIn {
  deviceId: string;
  cookie: string;
  /** Set when the device was first seen in this sign-in: whether its owner is told (the notice queued with it). */
  newDevice?: { notified: boolean };
}

/**
 * The devices (browsers, clients keeping cookies) that signed in to an account, each named by a signed
 * device cookie. Login asks which known device of the account a request comes from (LockoutService then
 * applies that device's lock instead of the account's), and remembers each successful sign-in, telling the
 * owner of a new device. The owner lists and forgets them. A device unused for DEVICE_COOKIE_TTL is no
 * longer recognised, and is deleted at start and hourly.
 */
@Injectable()
export class KnownDevicesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly pruner = new BatchedPruner('Known device', KnownDevicesService.name);

  constructor(
    private readonly devices: KnownDevicesRepository,
    private readonly notices: NewDeviceNoticesService,
    private readonly securityLog: SecurityLogService,
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
    const lookup = this.lookupOf(cookie);
    if (lookup?.userId !== userId) return undefined;
    return this.devices.findRecentOfUser(lookup.deviceId, userId, lookup.usedSince);
  }

  /**
   * What to look for when the user is not known yet (a password login loads the user and the device in one
   * query): the device and account a validly signed cookie names, or undefined for no cookie or a forged or
   * altered one. A row matching it on all three is what recognise() would answer.
   */
  lookupOf(cookie: string | undefined): DeviceLookup | undefined {
    const claim = verifyDeviceClaim(this.key, cookie);
    return claim && { ...claim, usedSince: new Date(Date.now() - this.ttlMs) };
  }

  /**
   * The one step after every successful sign-in (password login, passkey): a recognised device is used again
   * (its failures start over; nothing is written when it has none and signed in from the same client within
   * DEVICE_LAST_USED_PRECISION_MS); any other request becomes a new known device, and its owner is told
   * (NewDeviceNoticesService) unless this is the account's first sign-in or NEW_DEVICE_NOTICES is off.
   * `user.lastLoginAt` must be the one from before this sign-in. Returns the device, whose id the session
   * keeps, and the device cookie's value to set; its log line is logNewDevice's, once the sign-in has committed.
   */
  async rememberSignIn(
    user: SignedInUser,
    device: KnownDevice | undefined,
    client: { ip: string; userAgent?: string },
    tx: EntityManager,
  ): Promise<DeviceSignIn> {
    const stored = { ip: client.ip, userAgent: truncatedUserAgent(client.userAgent) };
    if (device) {
      if (!isUnchangedBySignIn(device, stored)) await this.devices.recordSignIn(device.id, stored, tx);
      return { deviceId: device.id, cookie: signDeviceClaim(this.key, { deviceId: device.id, userId: user.id }) };
    }
    const deviceId = await this.devices.insert(user.id, stored, MAX_KNOWN_DEVICES_PER_USER, tx);
    const notified = this.notices.applies(user);
    if (notified) await this.notices.tell(user, stored, new Date(), tx);
    return { deviceId, cookie: signDeviceClaim(this.key, { deviceId, userId: user.id }), newDevice: { notified } };
  }

  /**
   * The security-log line of a sign-in from a new device (nothing for a known one), written once the sign-in has
   * committed: a sign-in whose transaction failed added no device and told no one, and its log must not say so.
   */
  logNewDevice(user: SignedInUser, signIn: DeviceSignIn, ip: string): void {
    if (!signIn.newDevice) return;
    this.securityLog.log('new_device_signin', {
      ip,
      email: user.email,
      user_id: user.id,
      device_id: signIn.deviceId,
      notified: signIn.newDevice.notified,
    });
  }

  /** The user's known devices, most recently used first, the one that opened `currentSessionId` marked. */
  listOwn(userId: string, currentSessionId: string): Promise<DeviceSummary[]> {
    return this.devices.listOfUser(userId, currentSessionId, new Date(Date.now() - this.ttlMs));
  }

  /**
   * Forgets one of the user's devices: its cookie no longer counts as known (no exemption from the account's
   * lock; its next sign-in is a new device, told to the owner). Its sessions go on: ending them is the
   * sessions list's job. 404 for an unknown, malformed, already forgotten or another user's device.
   */
  async forgetOwn(userId: string, deviceId: string, ip: string): Promise<void> {
    if (!(await this.devices.deleteOfUser(deviceId, userId))) throw new NotFoundException(DEVICE_NOT_FOUND);
    this.securityLog.log('device_forgotten', { ip, user_id: userId, device_id: deviceId });
  }

  /** Returns how many devices were deleted. */
  pruneUnused(): Promise<number> {
    const before = new Date(Date.now() - this.ttlMs);
    return this.pruner.deleteInBatches((limit) => this.devices.deleteUnusedSince(before, limit));
  }
}

/** Whether a sign-in of the device from `client` now would leave its row as it is, give or take its last use. */
function isUnchangedBySignIn(device: KnownDevice, client: DeviceClient): boolean {
  return (
    !device.hasFailures &&
    device.lastUsedAt.getTime() > Date.now() - DEVICE_LAST_USED_PRECISION_MS &&
    device.lastIp !== null &&
    normalizeIp(device.lastIp) === normalizeIp(client.ip) &&
    device.userAgent === client.userAgent
  );
}
