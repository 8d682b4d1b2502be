import { registerDecorator, ValidationOptions } from 'class-validator';
import { domainToASCII, domainToUnicode } from 'node:url';

/** Why an address cannot be normalised; the message is the 422 the client sees. */
export class InvalidEmailError extends Error {}

const DOTTED_CAPITAL_I = /\u0130/g;
/** Fullwidth and halfwidth forms: their compatibility mapping is the character they stand for (RFC 8264 width mapping). */
const WIDTH_VARIANTS = /[\uff00-\uffef]/g;
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MAX_DOMAIN_LENGTH = 253;
/** RFC 5321 §4.5.3.1: 64 octets of local part, 254 of address (the 256 of a path less its `<` `>`). */
const MAX_LOCAL_PART_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;
/** C0 and C1 controls (NUL, TAB, CR, LF, DEL…) and the line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/**
 * Invisible format characters: bidirectional overrides and isolates (`a\u202Eb` reads as another address
 * than it is), zero-width spaces and joiners, the soft hyphen, the byte-order mark.
 */
const FORMAT = /\p{Cf}/u;
/**
 * RFC 5322 dot-atom (RFC 6531 adds UTF-8 letters, marks and digits to its characters): the one form of local
 * part that every mailer sends exactly as written. nodemailer turns anything else into a quoted string of
 * its own making, so `"<a@evil.example>"@example.com` would be stored as one mailbox and mailed to another.
 */
const ATOM_CHARACTER = "[a-z0-9!#$%&'*+/=?^_`{|}~\\-\\p{L}\\p{M}\\p{N}]";
const DOT_ATOM = new RegExp(`^${ATOM_CHARACTER}+(?:\\.${ATOM_CHARACTER}+)*$`, 'u');
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}]/u;
const LABEL_SEPARATOR = /[^\p{L}\p{M}\p{N}]+/u;

/** Scripts a character is told apart by; a character of an unlisted script counts as `Other`. */
const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Nko',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Mongolian',
  'Ethiopic',
  'Cherokee',
  'Canadian_Aboriginal',
  'Tifinagh',
  'Coptic',
  'Glagolitic',
  'Runic',
  'Ogham',
  'Vai',
  'Lisu',
  'Osage',
  'Adlam',
  'Han',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Hangul',
  'Yi',
].map((name) => ({ name, pattern: new RegExp(`\\p{Script=${name}}`, 'u') }));

/**
 * The mixes Unicode's "highly restrictive" identifier level (UTS #39) allows within one label: the ways
 * Japanese, Chinese and Korean are written, alone or with Latin. Any other mix (Cyrillic `а` in `аdmin`)
 * is how look-alike addresses are made.
 */
const ALLOWED_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

/**
 * The one form of an e-mail address that every lookup, the unique index and every comparison see, so
 * that equivalent spellings are one account:
 * - trimmed, Unicode NFC;
 * - the domain in its ASCII (IDNA) form, as the WHATWG URL parser maps it (`bücher.example` and
 *   `xn--bcher-kva.example` are one domain; case and fullwidth letters are folded);
 * - the local part lower-cased with Unicode's locale-independent mapping, except that `İ` becomes `i`:
 *   it is the one character whose default lower case adds a combining dot (`i̇`), which would make
 *   `ADMİN@…` a look-alike account of `admin@…` instead of the same one;
 * - refused when a label (of the local part or the domain) mixes scripts;
 * - refused unless it is sent exactly as stored: control characters (CR/LF, NUL, TAB) and invisible format
 *   characters (bidi overrides) anywhere, a local part that is not a dot-atom (quoted, `@`, spaces), and
 *   addresses longer than SMTP carries.
 */
export function normalizeEmail(input: string): string {
  if (CONTROL.test(input)) {
    throw new InvalidEmailError('email must not contain control characters (CR, LF, TAB, NUL…)');
  }
  if (FORMAT.test(input)) {
    throw new InvalidEmailError('email must not contain invisible formatting characters (bidi overrides…)');
  }
  const email = input.trim().normalize('NFC');
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) {
    throw new InvalidEmailError('email must be a valid e-mail address');
  }
  const localPart = email
    .slice(0, at)
    .replace(WIDTH_VARIANTS, (character) => character.normalize('NFKC'))
    .replace(DOTTED_CAPITAL_I, 'i')
    .toLowerCase()
    .normalize('NFC');
  if (localPart.includes('"')) {
    throw new InvalidEmailError('email must not have a quoted local part');
  }
  if (!DOT_ATOM.test(localPart)) {
    throw new InvalidEmailError('email must be a valid e-mail address');
  }
  if (Buffer.byteLength(localPart) > MAX_LOCAL_PART_OCTETS) {
    throw new InvalidEmailError(`email must have at most ${MAX_LOCAL_PART_OCTETS} bytes before the @`);
  }
  refuseMixedScripts(localPart.split(LABEL_SEPARATOR));
  const normalized = `${localPart}@${normalizeDomain(email.slice(at + 1))}`;
  if (Buffer.byteLength(normalized) > MAX_ADDRESS_OCTETS) {
    throw new InvalidEmailError(`email must have at most ${MAX_ADDRESS_OCTETS} bytes`);
  }
  return normalized;
}

/** A domain name in its ASCII (IDNA) form; throws InvalidEmailError when it is not one. */
export function normalizeDomain(domain: string): string {
  const ascii = domainToASCII(domain.trim());
  const labels = ascii.split('.');
  if (ascii.length > MAX_DOMAIN_LENGTH || labels.length < 2 || !labels.every((label) => ASCII_LABEL.test(label))) {
    throw new InvalidEmailError(`"${domain}" is not a valid domain name`);
  }
  refuseMixedScripts(domainToUnicode(ascii).split('.'));
  return ascii;
}

/**
 * A key for counting or logging a requested address before validation answers the request (rate limits,
 * the sign-up attempt log): normalizeEmail, or for text it refuses (which no account has) that text trimmed
 * and lower-cased. Never a lookup: a refused address is answered with 422.
 */
export function emailKey(input: string): string {
  try {
    return normalizeEmail(input);
  } catch {
    return input.trim().toLowerCase();
  }
}

/**
 * class-transformer: the normal form of a request body's address, or the text unchanged when normalizeEmail
 * refuses it, for IsNormalizableEmail to report.
 */
export const NormalizedEmail = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  try {
    return normalizeEmail(value);
  } catch {
    return value;
  }
};

/** class-validator: the address passes normalizeEmail, and is already in its normal form. */
export function IsNormalizableEmail(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isNormalizableEmail',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        // Other types are IsString's (or IsEmail's) to report.
        validate: (value: unknown) => typeof value !== 'string' || emailProblem(value) === undefined,
        defaultMessage: (args) =>
          (typeof args?.value === 'string' ? emailProblem(args.value) : undefined) ?? 'email must be a string',
      },
    });
}

function emailProblem(email: string): string | undefined {
  try {
    return normalizeEmail(email) === email ? undefined : 'email must be a valid e-mail address';
  } catch (error) {
    return (error as Error).message;
  }
}

function refuseMixedScripts(labels: string[]): void {
  for (const label of labels) {
    const scripts = new Set<string>();
    for (const character of label) {
      if (!NEUTRAL.test(character)) {
        scripts.add(SCRIPTS.find((script) => script.pattern.test(character))?.name ?? 'Other');
      }
    }
    if (scripts.size > 1 && !ALLOWED_MIXES.some((allowed) => [...scripts].every((script) => allowed.has(script)))) {
      throw new InvalidEmailError(`email must not mix scripts within "${label}" (${[...scripts].sort().join(', ')})`);
    }
  }
}
