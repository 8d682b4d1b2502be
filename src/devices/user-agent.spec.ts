import { describeUserAgent } from './user-agent';

describe('describeUserAgent', () => {
  it.each([
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/141.0.0.0 Safari/537.36',
      'Chrome 141 on Linux',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox 133 on Windows 10'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
        'Version/17.4 Mobile/15E148 Safari/604.1',
      'Safari 17 on iOS',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
        'Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Microsoft Edge 131 on macOS Catalina',
    ],
  ])('names a known browser and its system: %s', (header, expected) => {
    expect(describeUserAgent(header)).toBe(expected);
  });

  it('says so when there is no User-Agent', () => {
    expect(describeUserAgent(undefined)).toBe('Unknown client');
    expect(describeUserAgent(null)).toBe('Unknown client');
    expect(describeUserAgent('   ')).toBe('Unknown client');
  });

  it('quotes an unknown client, cut short and with no character that forges lines or reorders text', () => {
    expect(describeUserAgent('curl/8.5.0')).toBe('Unknown client (curl/8.5.0)');
    expect(describeUserAgent('evil\r\nBcc: x\u202Egpj.exe')).toBe('Unknown client (evil  Bcc: x gpj.exe)');
    const long = describeUserAgent(`script/${'x'.repeat(200)}`);
    expect(long).toBe(`Unknown client (script/${'x'.repeat(53)}…)`);
  });
});
