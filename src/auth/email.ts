import { registerDecorator, ValidationOptions } from 'class-validator';
import { domainToASCII, domainToUnicode } from 'node:url';

/** Why an address cannot be normalised; the message is the 422 the client sees. */
export class InvalidEmailError extends Error {}

const DOTTED_CAPITAL_I = /\u0130/g;
/** Fullwidth and halfwidth forms: their compatibility mapping is the character they stand for (RFC 8264 width mapping). */
const WIDTH_VARIANTS = /[\uff00-\uffef]/g;
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MAX_DOMAIN_LENGTH = 253;
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
 * - refused when a label (of the local part or the domain) mixes scripts.
 */
export function normalizeEmail(input: string): string {
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
  refuseMixedScripts(localPart.split(LABEL_SEPARATOR));
  return `${localPart}@${normalizeDomain(email.slice(at + 1))}`;
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

/** normalizeEmail, or the older rule (trimmed, lower-cased) for text it refuses, which no new account has. */
export function normalizeEmailLeniently(input: string): string {
  try {
    return normalizeEmail(input);
  } catch {
    return input.trim().toLowerCase();
  }
}

/** class-transformer form of normalizeEmailLeniently, for request bodies (IsNormalizableEmail reports refusals). */
export const NormalizedEmail = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? normalizeEmailLeniently(value) : value;

/** class-validator: the address passes normalizeEmail, and is already in its normal form. */
export function IsNormalizableEmail(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isNormalizableEmail',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && emailProblem(value) === undefined,
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
