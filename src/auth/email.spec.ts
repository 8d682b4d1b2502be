import { validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { RegisterDto } from './dto/register.dto';
import { InvalidEmailError, normalizeDomain, normalizeEmail, normalizeEmailLeniently } from './email';

describe('normalizeEmail', () => {
  it.each([
    ['  Mixed.Case@Example.COM ', 'mixed.case@example.com'],
    ['user@bücher.example', 'user@xn--bcher-kva.example'],
    ['user@xn--bcher-kva.example', 'user@xn--bcher-kva.example'],
    ['user@BÜCHER.example', 'user@xn--bcher-kva.example'],
    // NFC: "u" followed by a combining diaeresis is the same ü.
    ['Jose\u0301@example.com', 'jos\u00e9@example.com'],
    ['ｕｓｅｒ@ｅｘａｍｐｌｅ．ｃｏｍ', 'user@example.com'],
    ['ADMİN@EXAMPLE.COM', 'admin@example.com'],
    ['Иван@пример.рф', 'иван@xn--e1afmkfd.xn--p1ai'],
    ['ivan.иван@example.com', 'ivan.иван@example.com'],
    ['山田たろう@example.jp', '山田たろう@example.jp'],
  ])('normalises %j to %j', (input, normalized) => {
    expect(normalizeEmail(input)).toBe(normalized);
    expect(normalizeEmail(normalized)).toBe(normalized);
  });

  it('never leaves a combining dot from a dotted capital I', () => {
    expect(normalizeEmail('İSTANBUL@example.com')).toBe('istanbul@example.com');
    expect(normalizeEmail('ADMİN@EXAMPLE.COM')).not.toContain('\u0307');
  });

  it.each([
    ['аdmin@example.com', /mix scripts within "аdmin" \(Cyrillic, Latin\)/],
    ['admin@exаmple.com', /mix scripts within "exаmple"/],
    ['admin@xn--exmple-4nf.com', /mix scripts/],
    ['pаypal.user@example.com', /mix scripts within "pаypal"/],
    ['αdmin@example.com', /Greek, Latin/],
    ['no-at-sign', /valid e-mail address/],
    ['@example.com', /valid e-mail address/],
    ['user@', /valid e-mail address/],
    ['user@localhost', /not a valid domain name/],
    ['user@exa mple.com', /not a valid domain name/],
  ])('refuses %j', (input, message) => {
    expect(() => normalizeEmail(input)).toThrow(InvalidEmailError);
    expect(() => normalizeEmail(input)).toThrow(message);
  });

  it('falls back to the older rule for text it refuses (logins find no account with it)', () => {
    expect(normalizeEmailLeniently(' АDMIN@Example.com ')).toBe('аdmin@example.com');
    expect(normalizeEmailLeniently('User@Bücher.example')).toBe('user@xn--bcher-kva.example');
  });

  it('gives allowed domains the form e-mails have', () => {
    expect(normalizeDomain('Bücher.Example')).toBe('xn--bcher-kva.example');
    expect(() => normalizeDomain('not a domain')).toThrow(InvalidEmailError);
  });
});

describe('RegisterDto email', () => {
  const problems = (email: string) =>
    validateSync(plainToInstance(RegisterDto, { email, password: 'Test1234', full_name: 'A' })).flatMap((error) =>
      Object.values(error.constraints ?? {}),
    );

  it('takes the normalised form', () => {
    expect(plainToInstance(RegisterDto, { email: ' User@Bücher.Example ' }).email).toBe('user@xn--bcher-kva.example');
    expect(problems('User@Bücher.Example')).toEqual([]);
  });

  it('reports mixed scripts as a validation error', () => {
    expect(problems('аdmin@example.com')).toEqual(['email must not mix scripts within "аdmin" (Cyrillic, Latin)']);
  });
});
