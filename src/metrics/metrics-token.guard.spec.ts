import { ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { bearerTokenMatches, MetricsTokenGuard } from './metrics-token.guard';

const TOKEN = 'metrics-token-0123456789';

describe('bearerTokenMatches', () => {
  it('accepts the token as a bearer credential, whatever the scheme case', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another token', 'Bearer metrics-token-0123456780'],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token with more after it', `Bearer ${TOKEN}x`],
    ['the token without a scheme', TOKEN],
    ['another scheme', `Basic ${TOKEN}`],
    ['two credentials', `Bearer ${TOKEN} ${TOKEN}`],
  ])('refuses %s', (_case, header) => {
    expect(bearerTokenMatches(header, TOKEN)).toBe(false);
  });
});

describe('MetricsTokenGuard', () => {
  function contextWith(authorization?: string) {
    const reply = { header: jest.fn() };
    const context = {
      switchToHttp: () => ({ getRequest: () => ({ headers: { authorization } }), getResponse: () => reply }),
    } as unknown as ExecutionContext;
    return { context, reply };
  }
  const guard = (token?: string) => new MetricsTokenGuard({ metrics: { enabled: true, token } } as AppConfig);

  it('lets every scrape through when METRICS_TOKEN is unset', () => {
    expect(guard().canActivate(contextWith().context)).toBe(true);
  });

  it('lets the right token through', () => {
    expect(guard(TOKEN).canActivate(contextWith(`Bearer ${TOKEN}`).context)).toBe(true);
  });

  it('answers 401 with a bearer challenge otherwise', () => {
    const { context, reply } = contextWith('Bearer wrong');
    expect(() => guard(TOKEN).canActivate(context)).toThrow(UnauthorizedException);
    expect(reply.header).toHaveBeenCalledWith('WWW-Authenticate', 'Bearer realm="metrics"');
  });
});
