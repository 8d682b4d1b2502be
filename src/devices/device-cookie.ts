import type {} from '@fastify/cookie';
import { Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/**
 * The device cookie (OWASP's "device cookies" against online guessing): set on each successful sign-in, it
 * names the known device (a row of known_devices) and the account it signed in to, signed with an HMAC so
 * that it cannot be forged or moved to another account. It holds no secret of the account and grants no
 * access: it only lets login tell the owner's browser from a stranger's.
 */
export const DEVICE_COOKIE = 'regshield_device';
/** Only the sign-in routes read it (password login, passkey sign-in): they share this path. */
export const DEVICE_COOKIE_PATH = '/api/auth';

const VERSION = 'v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface DeviceClaim {
  deviceId: string;
  userId: string;
}

function signature(key: Buffer, deviceId: string, userId: string): string {
  return createHmac('sha256', key).update(`${VERSION}.${deviceId}.${userId}`).digest('base64url');
}

/** `v1.<device id>.<user id>.<HMAC-SHA-256 of the rest, base64url>`. */
export function signDeviceClaim(key: Buffer, { deviceId, userId }: DeviceClaim): string {
  return `${VERSION}.${deviceId}.${userId}.${signature(key, deviceId, userId)}`;
}

/** The claim of a well-formed cookie value signed with `key`; undefined for anything else. */
export function verifyDeviceClaim(key: Buffer, value: string | undefined): DeviceClaim | undefined {
  const parts = value?.split('.');
  if (parts?.length !== 4) return undefined;
  const [version, deviceId, userId, presented] = parts;
  if (version !== VERSION || !UUID.test(deviceId) || !UUID.test(userId)) return undefined;
  // Compared as text: base64url decoding ignores stray characters and spare bits, the text does not.
  const expected = Buffer.from(signature(key, deviceId, userId));
  const given = Buffer.from(presented);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { deviceId, userId };
}

/**
 * Reads and writes the cookie on HTTP exchanges: HttpOnly (scripts never see it), SameSite=Strict, sent
 * only to /api/auth (the sign-in routes), Secure when PUBLIC_URL is https, kept DEVICE_COOKIE_TTL from the last sign-in.
 */
@Injectable()
export class DeviceCookie {
  private readonly options: {
    httpOnly: true;
    sameSite: 'strict';
    path: string;
    secure: boolean;
    maxAge: number;
  };

  constructor(@InjectConfig() config: AppConfig) {
    this.options = {
      httpOnly: true,
      sameSite: 'strict',
      path: DEVICE_COOKIE_PATH,
      secure: config.publicUrl.startsWith('https:'),
      maxAge: config.lockout.deviceCookieTtlSeconds,
    };
  }

  read(request: FastifyRequest): string | undefined {
    return request.cookies[DEVICE_COOKIE];
  }

  write(reply: FastifyReply, value: string): void {
    void reply.setCookie(DEVICE_COOKIE, value, this.options);
  }
}
