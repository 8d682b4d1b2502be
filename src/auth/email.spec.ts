import { validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { EmailAddressDto } from '../account/dto/email-address.dto';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { emailKey, InvalidEmailError, normalizeDomain, normalizeEmail } from './email';

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
    // nodemailer sends this one to `" a@evil.example "@example.com`, not the mailbox that would be stored.
    ['"<a@evil.example>"@example.com', /quoted local part/],
    ['"john doe"@example.com', /quoted local part/],
    ['user@example.com\r\nBcc: x@evil.example', /control characters/],
    ['user\n@example.com', /control characters/],
    ['user@example.com\n', /control characters/],
    ['\tuser@example.com', /control characters/],
    ['us\u0000er@example.com', /control characters/],
    ['us\u007fer@example.com', /control characters/],
    ['us\u0085er@example.com', /control characters/],
    ['us\u2028er@example.com', /control characters/],
    ['a\u202Eb@example.com', /invisible formatting/],
    ['user@exa\u202Emple.com', /invisible formatting/],
    ['a\u2066b@example.com', /invisible formatting/],
    ['ad\u200Bmin@example.com', /invisible formatting/],
    ['\uFEFFuser@example.com', /invisible formatting/],
    ['a@b@example.com', /valid e-mail address/],
    ['john doe@example.com', /valid e-mail address/],
    ['.user@example.com', /valid e-mail address/],
    ['user.@example.com', /valid e-mail address/],
    ['us..er@example.com', /valid e-mail address/],
    ['(comment)user@example.com', /valid e-mail address/],
    ['user<x>@example.com', /valid e-mail address/],
    ['user,x@example.com', /valid e-mail address/],
    ['us\\er@example.com', /valid e-mail address/],
    ['user@[192.0.2.1]', /not a valid domain name/],
    [`${'a'.repeat(65)}@example.com`, /at most 64 bytes before the @/],
    [`${'é'.repeat(33)}@example.com`, /at most 64 bytes before the @/],
    [
      `${'u'.repeat(64)}@${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(10)}.com`,
      /at most 254 bytes/,
    ],
  ])('refuses %j', (input, message) => {
    expect(() => normalizeEmail(input)).toThrow(InvalidEmailError);
    expect(() => normalizeEmail(input)).toThrow(message);
  });

  it("accepts every character of RFC 5322's dot-atom, and UTF-8 letters", () => {
    const atext = "!#$%&'*+/=?^_`{|}~-";
    expect(normalizeEmail(`a${atext}z@example.com`)).toBe(`a${atext}z@example.com`);
    expect(normalizeEmail('first.last+tag@example.com')).toBe('first.last+tag@example.com');
    expect(normalizeEmail(`${'a'.repeat(64)}@example.com`)).toBe(`${'a'.repeat(64)}@example.com`);
  });

  it('keys rate limits and logs by the normal form, or for refused text the text trimmed and lower-cased', () => {
    expect(emailKey(' АDMIN@Example.com ')).toBe('аdmin@example.com');
    expect(emailKey('User@Bücher.example')).toBe('user@xn--bcher-kva.example');
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

  it('refuses a quoted local part, control characters and bidi overrides', () => {
    expect(problems('"<a@evil.example>"@example.com')).toEqual(['email must not have a quoted local part']);
    expect(problems('a\u202Eb@example.com')).toContain(
      'email must not contain invisible formatting characters (bidi overrides…)',
    );
    expect(problems('a\r\nb@example.com')).toContain('email must not contain control characters (CR, LF, TAB, NUL…)');
  });
});

describe('an accepted address is the mailbox nodemailer sends to', () => {
  const atext = "!#$%&'*+/=?^_`{|}~-";
  const accepted = [
    'user@example.com',
    'first.last+tag@example.com',
    `a${atext}z@example.com`,
    ...[...atext].map((character) => `x${character}y@example.com`),
    ...[...atext].map((character) => `${character}@example.com`),
    "o'brien@sub.example.co.uk",
    'jos\u00e9@example.com',
    'user@xn--bcher-kva.example',
    'иван@xn--e1afmkfd.xn--p1ai',
    '山田たろう@example.jp',
    `${'a'.repeat(64)}@example.com`,
  ];

  it.each(accepted)('%s is accepted, parsed by addressparser unchanged, and enveloped as the same mailbox', (email) => {
    expect(normalizeEmail(email)).toBe(email);
    expect(addressparser(email)).toEqual([{ address: email, name: '' }]);
    const envelope = new MailComposer({ from: 'no-reply@example.com', to: email, text: '-' }).compile().getEnvelope();
    expect(envelope.to).toHaveLength(1);
    // With a UTF-8 local part nodemailer writes the domain as UTF-8 too (SMTPUTF8): the same domain.
    expect(normalizeEmail(envelope.to[0])).toBe(email);
    if (/^[\x20-\x7e]*$/.test(email.split('@')[0])) expect(envelope.to[0]).toBe(email);
  });

  it('would not be, for the refused quoted form: that is why it is refused', () => {
    const quoted = '"<a@evil.example>"@example.com';
    const envelope = new MailComposer({ from: 'no-reply@example.com', to: quoted, text: '-' }).compile().getEnvelope();
    expect(envelope.to).not.toEqual([quoted]);
  });
});

describe('lookups (login, forgot, resend) take only addresses an account can have', () => {
  const problems = (dto: typeof LoginDto | typeof EmailAddressDto, email: unknown) =>
    validateSync(plainToInstance(dto, { email, password: 'x' }) as object).flatMap((error) =>
      Object.values(error.constraints ?? {}),
    );

  it.each([LoginDto, EmailAddressDto])('%p: normalises, and refuses refused forms with their reason', (dto) => {
    const lookup: { email: string } = plainToInstance(dto, { email: ' User@Bücher.Example ' });
    expect(lookup.email).toBe('user@xn--bcher-kva.example');
    expect(problems(dto, 'User@Bücher.Example')).toEqual([]);
    expect(problems(dto, '"<a@evil.example>"@example.com')).toEqual(['email must not have a quoted local part']);
    expect(problems(dto, 'user@example.com\r\n')).toEqual([
      'email must not contain control characters (CR, LF, TAB, NUL…)',
    ]);
    expect(problems(dto, 'a\u202Eb@example.com')).toEqual([
      'email must not contain invisible formatting characters (bidi overrides…)',
    ]);
    expect(problems(dto, 'аdmin@example.com')).toEqual(['email must not mix scripts within "аdmin" (Cyrillic, Latin)']);
    expect(problems(dto, 42)).toEqual(['email must be a string']);
  });
});

describe('RegisterDto full_name', () => {
  const problems = (full_name: string) =>
    validateSync(plainToInstance(RegisterDto, { email: 'user@example.com', password: 'Test1234', full_name })).flatMap(
      (error) => Object.values(error.constraints ?? {}),
    );

  it.each(['Ana María Pérez', 'محمد علي', 'Zoë\u200D', 'نام\u200Cخانوادگی', 'Ив\u200Eан', '山田 太郎'])(
    'accepts %j',
    (name) => expect(problems(name)).toEqual([]),
  );

  it.each([
    'Eve\r\nBcc: x@evil.example',
    'Eve\nMallory',
    'Eve\tMallory',
    'Eve\u0000',
    'Eve\u007f',
    'Eve\u0085',
    'Eve\u2028Mallory',
    'Eve \u202Egnp.exe',
    'Eve\u202A',
    'Eve\u2066x\u2069',
  ])('refuses %j with 422', (name) => {
    expect(problems(name)).toEqual(['full_name must not contain control characters or bidirectional overrides']);
  });
});
