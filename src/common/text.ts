import { ValidateBy } from 'class-validator';

/** PostgreSQL text cannot hold U+0000: such a value would fail in the database, after validation. */
export const NoNullCharacters = () =>
  ValidateBy({
    name: 'noNullCharacters',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
      defaultMessage: (args) => `${args?.property ?? 'value'} must not contain NUL characters`,
    },
  });

/**
 * Control characters (NUL, TAB, CR, LF, DEL, C1) and the line and paragraph separators, which start a new
 * line in the plain text of an e-mail or a log; and the bidirectional embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069), which make text read in another order than it is stored (`a\u202Eb`).
 * Zero-width joiners and the left-to-right / right-to-left marks stay allowed: names in Persian, Indic
 * scripts and emoji need them, and they reorder nothing on their own.
 */
const CONTROL_OR_BIDI_OVERRIDE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/** Whether the text holds a character that can forge lines or reorder what a reader sees (see above). */
export function hasControlOrBidiOverride(text: string): boolean {
  return CONTROL_OR_BIDI_OVERRIDE.test(text);
}

/** The text with each such character (see above) made a space: for quoting what a client chose to send. */
export function withoutControlOrBidiOverride(text: string): string {
  return text.replace(new RegExp(CONTROL_OR_BIDI_OVERRIDE.source, 'gu'), ' ');
}

/** class-validator form of hasControlOrBidiOverride, for free text that reaches e-mails and the console. */
export const NoControlCharacters = () =>
  ValidateBy({
    name: 'noControlCharacters',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !hasControlOrBidiOverride(value),
      defaultMessage: (args) =>
        `${args?.property ?? 'value'} must not contain control characters or bidirectional overrides`,
    },
  });
