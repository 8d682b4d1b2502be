import type { ApiResponseSchemaHost } from '@nestjs/swagger';

/**
 * The WebAuthn options objects (PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON) are the
 * specification's, passed on to the browser as they are: documented by reference, not field by field.
 */
export const WEBAUTHN_OPTIONS_SCHEMA: ApiResponseSchemaHost['schema'] = {
  type: 'object',
  additionalProperties: true,
  description:
    'WebAuthn options in their JSON form (https://www.w3.org/TR/webauthn-3/), with `challenge` (base64url) and `rpId`/`rp`',
  required: ['challenge'],
  properties: { challenge: { type: 'string', format: 'base64url' }, timeout: { type: 'integer', example: 120000 } },
};
