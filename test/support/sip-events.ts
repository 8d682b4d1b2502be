/** A failed REGISTER as the proxy would report it. */
export const failedRegistration = (ip: string, overrides: Record<string, unknown> = {}) => ({
  username: '1000',
  domain: 'sip.example.com',
  source_ip: ip,
  source_port: 5060,
  user_agent: 'friendly-scanner',
  response_code: 403,
  response_reason: 'Forbidden',
  expires: 3600,
  ...overrides,
});

/** A door knock (svwar's default: a REGISTER to the proxy's IP literal) as the proxy would report it. */
export const doorKnock = (ip: string, overrides: Record<string, unknown> = {}) => ({
  source_ip: ip,
  source_port: 5070,
  method: 'REGISTER',
  request_uri: 'sip:192.0.2.1',
  from_uri: 'sip:100@192.0.2.1',
  to_uri: 'sip:100@192.0.2.1',
  domain: '192.0.2.1',
  reason: 'unknown_domain',
  user_agent: 'friendly-scanner',
  ...overrides,
});
