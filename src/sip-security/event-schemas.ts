import { ApiBodyOptions } from '@nestjs/swagger';

/** OpenAPI's schema object, as @nestjs/swagger types it (it does not export the type itself). */
export type SchemaObject = Exclude<Extract<ApiBodyOptions, { schema: unknown }>['schema'], { $ref: string }>;

/**
 * The two event shapes the proxy sends, as JSON schemas (the OpenAPI 3.0 subset, so the same objects are
 * the documented request bodies and what Ajv validates). A compiled schema validates a batch far faster
 * than class-validator's per-object decorators, and at 10 000 events a request that decides the ingest rate.
 */
const TEXT_MAX = 1024;
const text = (example: string, maxLength = TEXT_MAX): SchemaObject => ({
  type: 'string',
  nullable: true,
  maxLength,
  example,
});
const port: SchemaObject = { type: 'integer', nullable: true, minimum: 0, maximum: 65535, example: 5060 };
const sourceIp: SchemaObject = { type: 'string', format: 'ip', description: 'IPv4 or IPv6', example: '203.0.113.7' };

export const FAILED_REGISTRATION_EVENT: SchemaObject = {
  type: 'object',
  title: 'FailedRegistrationEvent',
  description: 'One failed REGISTER (the columns of failed_registrations)',
  additionalProperties: false,
  required: ['source_ip', 'response_code'],
  properties: {
    username: text('1000'),
    domain: text('sip.example.com'),
    source_ip: sourceIp,
    source_port: port,
    user_agent: text('friendly-scanner'),
    response_code: {
      type: 'integer',
      minimum: 100,
      maximum: 699,
      example: 403,
      description: '401 and 407 (digest challenges) are ignored',
    },
    response_reason: text('Forbidden'),
    expires: { type: 'integer', nullable: true, minimum: 0, maximum: 2147483647, example: 3600 },
  },
};

export const DOOR_KNOCK_EVENT: SchemaObject = {
  type: 'object',
  title: 'DoorKnockEvent',
  description: 'One door knock (the columns of door_knock_attempts)',
  additionalProperties: false,
  required: ['source_ip'],
  properties: {
    source_ip: sourceIp,
    source_port: port,
    method: text('REGISTER', 32),
    request_uri: text('sip:203.0.113.1'),
    from_uri: text('sip:100@203.0.113.1'),
    to_uri: text('sip:100@203.0.113.1'),
    domain: text('203.0.113.1'),
    reason: {
      ...text('unknown_domain', 64),
      description:
        'unknown_domain, domain_mismatch, query_failure, setid_not_found, flood, username_sweep, unanswered_challenges, decoy (one bans its source), malformed_authorization, auth_headers, …',
    },
    user_agent: text('friendly-scanner'),
  },
};

export const REGISTRATION_SUCCESS_EVENT: SchemaObject = {
  type: 'object',
  title: 'RegistrationSuccessEvent',
  description: 'One successful REGISTER (the columns of registration_successes)',
  additionalProperties: false,
  required: ['username', 'domain', 'source_ip'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: TEXT_MAX, example: '1000' },
    domain: { type: 'string', minLength: 1, maxLength: TEXT_MAX, example: 'sip.example.com' },
    source_ip: sourceIp,
    source_port: port,
    user_agent: text('Yealink SIP-T46U'),
  },
};

export interface RegistrationSuccessEvent {
  username: string;
  domain: string;
  source_ip: string;
  source_port?: number | null;
  user_agent?: string | null;
}

export interface FailedRegistrationEvent {
  username?: string | null;
  domain?: string | null;
  source_ip: string;
  source_port?: number | null;
  user_agent?: string | null;
  response_code: number;
  response_reason?: string | null;
  expires?: number | null;
}

export interface DoorKnockEvent {
  source_ip: string;
  source_port?: number | null;
  method?: string | null;
  request_uri?: string | null;
  from_uri?: string | null;
  to_uri?: string | null;
  domain?: string | null;
  reason?: string | null;
  user_agent?: string | null;
}
