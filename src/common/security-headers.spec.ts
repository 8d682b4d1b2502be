import helmet, { HelmetOptions } from 'helmet';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { API_SECURITY_HEADERS, securityHeaders } from './security-headers';

/** What helmet's own middleware sets on a real response. */
function helmetOnARealResponse(options: HelmetOptions): Record<string, string> {
  const response = new ServerResponse(new IncomingMessage(new Socket()));
  helmet(options)(response.req, response, () => undefined);
  return Object.fromEntries(Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]));
}

describe('securityHeaders', () => {
  it.each([
    ['the defaults', {}],
    [
      'a CSP of our own and no HSTS',
      { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } }, hsts: false },
    ],
  ])('are exactly the headers helmet sets, with %s', (_, options: HelmetOptions) => {
    const computed = Object.fromEntries(
      Object.entries(securityHeaders(options)).map(([name, value]) => [name.toLowerCase(), value]),
    );
    expect(computed).toEqual(helmetOnARealResponse(options));
    expect(Object.keys(computed)).toEqual(expect.arrayContaining(['content-security-policy', 'x-frame-options']));
  });
});

describe('API_SECURITY_HEADERS', () => {
  it('are all among the headers helmet sets, so that none is missing from JSON answers by a typo', () => {
    const names = Object.keys(securityHeaders({}));
    expect(names).toEqual(expect.arrayContaining(API_SECURITY_HEADERS));
  });
});
