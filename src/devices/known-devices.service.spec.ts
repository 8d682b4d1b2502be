import { EntityManager } from 'typeorm';
import { NotFoundException } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { MailMessage } from '../mail/mail-message';
import { MailService } from '../mail/mail.service';
import { deriveKey } from '../config/derived-secret';
import { verifyDeviceClaim } from './device-cookie';
import { KnownDevicesRepository } from './known-devices.repository';
import { DEVICE_NOT_FOUND, KnownDevicesService } from './known-devices.service';
import { NewDeviceNoticesService, shouldTellNewDevice } from './new-device-notices.service';

const JWT_SECRET = 'a-server-secret-of-at-least-32-characters';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36';

/** The sign-in's transaction, passed through to every write. */
const tx = { transaction: 'of the sign-in' } as unknown as EntityManager;

describe('KnownDevicesService after a sign-in', () => {
  const owner = {
    id: '0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e',
    email: 'owner@example.com',
    fullName: 'Olive Owner',
    lastLoginAt: new Date('2026-12-01T10:00:00Z'),
  };
  const newDeviceId = '7d1f3c2a-9b8e-4f6d-a5c4-3b2a1f0e9d8c';
  const client = { ip: '203.0.113.9', userAgent: CHROME };

  function build(options: { noticesOn?: boolean; mailFails?: boolean } = {}) {
    const sent: MailMessage[] = [];
    const sentIn: Array<EntityManager | undefined> = [];
    const log = jest.fn();
    const repository = {
      insert: jest.fn(() => Promise.resolve(newDeviceId)),
      recordSignIn: jest.fn(() => Promise.resolve()),
      deleteOfUser: jest.fn((deviceId: string) => Promise.resolve(deviceId === newDeviceId)),
    };
    const config = {
      jwtSecret: JWT_SECRET,
      publicUrl: 'https://shield.example',
      lockout: { deviceCookieTtlSeconds: 3600 },
      accountEmail: { newDeviceNotices: options.noticesOn ?? true },
    } as AppConfig;
    const mail = {
      enqueue: (message: MailMessage, manager?: EntityManager) => {
        if (options.mailFails) return Promise.reject(new Error('connection terminated'));
        sent.push(message);
        sentIn.push(manager);
        return Promise.resolve();
      },
    } as MailService;
    const service = new KnownDevicesService(
      repository as unknown as KnownDevicesRepository,
      new NewDeviceNoticesService(mail, config),
      { log } as unknown as SecurityLogService,
      config,
    );
    return { service, repository, sent, sentIn, log };
  }

  it('remembers a new device, tells the owner (time, IP, readable browser, link to /account), and logs it once asked', async () => {
    const { service, repository, sent, log } = build();
    const before = Date.now();
    const signedIn = await service.rememberSignIn(owner, undefined, client, tx);

    expect(signedIn.deviceId).toBe(newDeviceId);
    expect(verifyDeviceClaim(deriveKey(JWT_SECRET, 'device-cookie'), signedIn.cookie)).toEqual({
      deviceId: newDeviceId,
      userId: owner.id,
    });
    expect(repository.insert).toHaveBeenCalledWith(owner.id, { ip: client.ip, userAgent: CHROME }, 50, tx);
    expect(sent).toHaveLength(1);
    const [mail] = sent;
    expect(mail).toMatchObject({
      kind: 'new_device',
      to: owner.email,
      subject: '[regshield] New sign-in to your account',
    });
    expect(mail.text).toContain('Hello Olive Owner,');
    expect(mail.text).toContain('IP address: 203.0.113.9');
    expect(mail.text).toContain('Browser: Chrome 141 on Linux');
    expect(mail.text).toContain('https://shield.example/account');
    const time = /Time: (\S+) \(UTC\)/.exec(mail.text)![1];
    expect(new Date(time).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(mail.text).not.toContain(signedIn.cookie);
    expect(signedIn.newDevice).toEqual({ notified: true });
    expect(log).not.toHaveBeenCalled();
    service.logNewDevice(owner, signedIn, client.ip);
    expect(log).toHaveBeenCalledWith('new_device_signin', {
      ip: client.ip,
      email: owner.email,
      user_id: owner.id,
      device_id: newDeviceId,
      notified: true,
    });
  });

  /** A known device of the owner, last used an hour ago from another address. */
  const known = {
    id: '11111111-2222-4333-8444-555555555555',
    userId: owner.id,
    lockedUntil: null,
    hasFailures: false,
    lastUsedAt: new Date(Date.now() - 3_600_000),
    lastIp: '198.51.100.7',
    userAgent: CHROME,
  };

  it('tells nothing for a known device: it is used again, with the same cookie', async () => {
    const { service, repository, sent, log } = build();
    const signedIn = await service.rememberSignIn(owner, known, client, tx);
    expect(signedIn.deviceId).toBe(known.id);
    expect(verifyDeviceClaim(deriveKey(JWT_SECRET, 'device-cookie'), signedIn.cookie)).toEqual({
      deviceId: known.id,
      userId: owner.id,
    });
    expect(repository.recordSignIn).toHaveBeenCalledWith(known.id, { ip: client.ip, userAgent: CHROME }, tx);
    expect(repository.insert).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
    expect(signedIn.newDevice).toBeUndefined();
    service.logNewDevice(owner, signedIn, client.ip);
    expect(log).not.toHaveBeenCalled();
  });

  it('writes nothing for a known device that signed in from the same client within the last minute, without failures', async () => {
    const { service, repository } = build();
    const justUsed = { ...known, lastUsedAt: new Date(Date.now() - 30_000), lastIp: client.ip };
    await expect(service.rememberSignIn(owner, justUsed, client, tx)).resolves.toMatchObject({ deviceId: known.id });
    // The same address written another way is the same client.
    await service.rememberSignIn(owner, { ...justUsed, lastIp: `::ffff:${client.ip}` }, client, tx);
    expect(repository.recordSignIn).not.toHaveBeenCalled();
  });

  it.each([
    ['failures to start over', { hasFailures: true }],
    ['a last use over a minute ago', { lastUsedAt: new Date(Date.now() - 61_000) }],
    ['another address', { lastIp: '198.51.100.7' }],
    ['another User-Agent', { userAgent: 'curl/8.5.0' }],
  ])('records the sign-in of a known device with %s', async (_, change) => {
    const { service, repository } = build();
    const device = { ...known, lastUsedAt: new Date(Date.now() - 30_000), lastIp: client.ip, ...change };
    await service.rememberSignIn(owner, device, client, tx);
    expect(repository.recordSignIn).toHaveBeenCalledWith(known.id, { ip: client.ip, userAgent: CHROME }, tx);
  });

  it("tells nothing on the account's first sign-in, which has no device to compare with", async () => {
    const { service, repository, sent, log } = build();
    const signedIn = await service.rememberSignIn({ ...owner, lastLoginAt: null }, undefined, client, tx);
    expect(repository.insert).toHaveBeenCalled();
    expect(sent).toEqual([]);
    service.logNewDevice(owner, signedIn, client.ip);
    expect(log).toHaveBeenCalledWith('new_device_signin', expect.objectContaining({ notified: false }));
  });

  it('tells nothing when NEW_DEVICE_NOTICES=false, yet still remembers the device', async () => {
    const { service, repository, sent } = build({ noticesOn: false });
    await service.rememberSignIn(owner, undefined, client, tx);
    expect(repository.insert).toHaveBeenCalled();
    expect(sent).toEqual([]);
  });

  it("queues the notice in the sign-in's transaction, so that it is stored exactly when the sign-in is", async () => {
    const { service, sentIn } = build();
    await service.rememberSignIn(owner, undefined, client, tx);
    expect(sentIn).toEqual([tx]);
  });

  it("fails with the sign-in's transaction when the notice cannot be queued in it", async () => {
    const { service } = build({ mailFails: true });
    await expect(service.rememberSignIn(owner, undefined, client, tx)).rejects.toThrow('connection terminated');
  });

  it('names what the login query looks for: the device and account of a validly signed cookie, used within DEVICE_COOKIE_TTL', async () => {
    const { service } = build();
    const { cookie } = await service.rememberSignIn(owner, known, client, tx);
    const before = Date.now();
    const lookup = service.lookupOf(cookie);
    expect(lookup).toMatchObject({ deviceId: known.id, userId: owner.id });
    expect(lookup!.usedSince.getTime()).toBeGreaterThanOrEqual(before - 3_600_000);
    expect(lookup!.usedSince.getTime()).toBeLessThanOrEqual(Date.now() - 3_600_000);
    expect(service.lookupOf(undefined)).toBeUndefined();
    expect(service.lookupOf(`${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
  });

  it("forgets the user's own device, logged; 404 for any other", async () => {
    const { service, log } = build();
    await service.forgetOwn(owner.id, newDeviceId, client.ip);
    expect(log).toHaveBeenCalledWith('device_forgotten', { ip: client.ip, user_id: owner.id, device_id: newDeviceId });
    await expect(service.forgetOwn(owner.id, '11111111-2222-4333-8444-555555555555', client.ip)).rejects.toEqual(
      new NotFoundException(DEVICE_NOT_FOUND),
    );
  });
});

describe('shouldTellNewDevice', () => {
  it.each([
    [true, new Date(), true],
    [true, null, false],
    [false, new Date(), false],
    [false, null, false],
  ])('notices on: %s, last sign-in: %s → %s', (noticesOn, lastLoginAt, expected) => {
    expect(shouldTellNewDevice({ lastLoginAt }, noticesOn)).toBe(expected);
  });
});
