import { Client, ClientConfig } from 'pg';

/** Each text marked by `prepared`, with the statement name its connections know it by. */
const namesByText = new Map<string, string>();

/**
 * Marks a statement's text to be sent as a named (prepared) statement, and returns it unchanged. PostgreSQL
 * parses a named statement once per connection and, after a few runs, plans it once too, where an unnamed one
 * is parsed and planned on every run: for the user-and-device SELECT of a login, that was about four fifths of
 * what the statement cost the database (docs/BENCHMARKS.md). The text stays a plain string, so TypeORM's query
 * events, and the auth-state cache's reading of them (LocalWritesSubscriber), see it as before.
 *
 * Only for texts from a fixed set (a constant, or one of a few variants): every text marked stays prepared on
 * each pooled connection for that connection's life. No `*` over a table either: a prepared statement whose
 * table gains a column fails ("cached plan must not change result type") until the connection is replaced.
 */
export function prepared(text: string): string {
  if (!namesByText.has(text)) namesByText.set(text, `regshield_${namesByText.size + 1}`);
  return text;
}

/**
 * The pool's client (DataSource options' `extra.Client`): a text marked by `prepared` goes out as the named
 * statement it stands for; everything else as before. Only TypeORM's form of the call is rewritten (a text and
 * its parameters, no callback).
 */
export class PreparingClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const [text, values, callback] = args;
      const name = typeof text === 'string' && callback === undefined ? namesByText.get(text) : undefined;
      if (name === undefined || !(values === undefined || Array.isArray(values))) return query(...args);
      return query({ name, text, values });
    }) as Client['query'];
  }
}
