import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** WebAuthn authenticator data flags. */
const USER_PRESENT = 0x01;
const USER_VERIFIED = 0x04;
const ATTESTED_CREDENTIAL = 0x40;

type Cbor = Parameters<typeof isoCBOR.encode>[0];

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

/** The WebAuthn options' fields an authenticator answers (the JSON a route returns). */
interface Options {
  challenge: string;
  rp?: { id?: string };
  rpId?: string;
  user?: { id: string };
}

/**
 * A passkey in software (ES256, `none` attestation), answering the options of the API as a browser with a
 * platform authenticator would: so that e2e specs drive the real routes over HTTP without a browser, and
 * can do what a browser never would (replay an answer, present a clone with a lagging counter).
 */
export class SoftwarePasskey {
  readonly credentialId = randomBytes(16).toString('base64url');
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  private userHandle = '';
  counter = 0;

  constructor(private readonly origin: string) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.publicJwk = { x: jwk.x!, y: jwk.y! };
  }

  /** The same key with its own counter: what a cloned authenticator would be. */
  clone(): SoftwarePasskey {
    const copy = Object.create(SoftwarePasskey.prototype) as SoftwarePasskey;
    Object.assign(copy, this);
    return copy;
  }

  private clientData(type: string, challenge: string, origin: string): string {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })).toString('base64url');
  }

  /** The JSON of `navigator.credentials.create()` for these registration options. */
  register(options: Options, origin = this.origin): RegistrationResponseJSON {
    this.userHandle = options.user!.id;
    const coseKey = new Map<number, Cbor>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(Buffer.from(this.publicJwk.x, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(this.publicJwk.y, 'base64url'))],
    ]);
    const credentialId = Buffer.from(this.credentialId, 'base64url');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      sha256(options.rp!.id!),
      Buffer.from([USER_PRESENT | USER_VERIFIED | ATTESTED_CREDENTIAL]),
      counterBytes(this.counter),
      Buffer.alloc(16),
      length,
      credentialId,
      Buffer.from(isoCBOR.encode(coseKey)),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, Cbor>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: this.clientData('webauthn.create', options.challenge, origin),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
    };
  }

  /** The JSON of `navigator.credentials.get()` for these sign-in options; the counter rises by one first. */
  authenticate(
    options: Options,
    { origin = this.origin, flags = USER_PRESENT | USER_VERIFIED } = {},
  ): AuthenticationResponseJSON {
    this.counter += 1;
    const authData = Buffer.concat([sha256(options.rpId!), Buffer.from([flags]), counterBytes(this.counter)]);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]), {
      key: this.privateKey,
    });
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON,
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: this.userHandle,
      },
    };
  }
}

/** Only user presence: an authenticator that did not verify the user (no PIN, no biometrics). */
export const PRESENCE_ONLY = USER_PRESENT;
