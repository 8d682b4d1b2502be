import { Logger } from '@nestjs/common';
import { domainToASCII } from 'node:url';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rewrites the e-mail of accounts stored before addresses were normalised (trimmed and lower-cased only)
 * into the normal form every lookup uses since: Unicode NFC, fullwidth letters mapped, `İ` as `i`, the local
 * part lower-cased, the domain in its ASCII (IDNA) form. `user@bücher.example` becomes
 * `user@xn--bcher-kva.example`, which is what login looks up: until now such an account could not sign in.
 *
 * The rule is written out here, not imported from src/auth/email.ts: a migration runs once against the
 * data as it was when it was written, and must do the same thing however that module changes later.
 *
 * An account is left unchanged, and named in a warning at start-up, when:
 * - its normal form is already another account's address (two spellings of one mailbox were registered
 *   as two accounts). The account already stored in normal form keeps the address (it is the one login
 *   finds today); between two older spellings, the earlier sign-up keeps it. Merging or deleting accounts
 *   is a decision about people, not about text: an administrator makes it;
 * - its address has no normal form (no valid domain), or is not one the service accepts any more (a quoted
 *   or otherwise non-dot-atom local part, control or invisible formatting characters): nodemailer would
 *   not mail it as stored, and login refuses it with 422.
 * Start-up goes on either way: refusing it would lock every other user out over one account's address.
 *
 * Not reversible: the spellings it replaces are not kept (they named the same mailboxes).
 */
export class NormalizeStoredEmails1764000006200 implements MigrationInterface {
  name = 'NormalizeStoredEmails1764000006200';

  async up(queryRunner: QueryRunner): Promise<void> {
    const logger = new Logger(NormalizeStoredEmails1764000006200.name);
    // Only an address with a non-ASCII character or a percent sign can change: every stored address is
    // already trimmed and lower-cased (a CHECK constraint), and an ASCII domain's IDNA form is itself
    // unless it holds a percent-escape. The other characters are those of ASCII addresses that are no
    // dot-atom (quoted, spaces, a second @, stray dots, controls), to be named. One pass over the table,
    // and only these rows are read.
    const candidates = await queryRunner.manager.query<Array<{ id: string; email: string }>>(
      `SELECT id, email FROM users
        WHERE email ~ '[^[:ascii:]]|[%"\\\\ (),:;<>[\\]]|[[:cntrl:]]|@.*@|^\\.|\\.\\.|\\.@'
        ORDER BY created_at, id`,
    );
    const planned = new Map<string, string>();
    for (const { id, email } of candidates) {
      const normalized = normalizedForm(email);
      if (normalized === undefined) {
        logger.warn(
          `User ${id}: the stored address is not one that can be mailed as stored; left unchanged, and its ` +
            `owner cannot sign in with it until an administrator changes it`,
        );
        continue;
      }
      if (normalized === email) continue;
      const owners = await queryRunner.manager.query<Array<{ id: string }>>('SELECT id FROM users WHERE email = $1', [
        normalized,
      ]);
      const owner = owners[0]?.id ?? planned.get(normalized);
      if (owner !== undefined) {
        logger.warn(
          `User ${id}: the stored address normalises to the address of user ${owner}; left unchanged (login finds ` +
            `user ${owner}): an administrator must decide which account keeps the address`,
        );
        continue;
      }
      planned.set(normalized, id);
      await queryRunner.query('UPDATE users SET email = $2 WHERE id = $1', [id, normalized]);
    }
    if (planned.size > 0) logger.log(`Normalised the stored address of ${planned.size} user(s)`);
  }

  async down(): Promise<void> {
    // The older spellings are gone; each named the same mailbox as its normal form.
  }
}

const WIDTH_VARIANTS = /[\uff00-\uffef]/g;
const DOTTED_CAPITAL_I = /\u0130/g;
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const ATOM_CHARACTER = "[a-z0-9!#$%&'*+/=?^_`{|}~\\-\\p{L}\\p{M}\\p{N}]";
const DOT_ATOM = new RegExp(`^${ATOM_CHARACTER}+(?:\\.${ATOM_CHARACTER}+)*$`, 'u');
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** The normal form as src/auth/email.ts defined it when this was written; undefined for no acceptable one. */
function normalizedForm(stored: string): string | undefined {
  if (CONTROL_OR_FORMAT.test(stored)) return undefined;
  const email = stored.trim().normalize('NFC');
  const at = email.lastIndexOf('@');
  if (at <= 0) return undefined;
  const localPart = email
    .slice(0, at)
    .replace(WIDTH_VARIANTS, (character) => character.normalize('NFKC'))
    .replace(DOTTED_CAPITAL_I, 'i')
    .toLowerCase()
    .normalize('NFC');
  const domain = domainToASCII(email.slice(at + 1).trim());
  const labels = domain.split('.');
  if (!DOT_ATOM.test(localPart) || labels.length < 2 || !labels.every((label) => ASCII_LABEL.test(label))) {
    return undefined;
  }
  return `${localPart}@${domain}`;
}
