import {
  AfterQueryEvent,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

const READ_ONLY = /^\s*(?:select|show|listen|unlisten)\b/i;
const namePatterns = new Map<string, RegExp>();

function namePattern(table: string): RegExp {
  let pattern = namePatterns.get(table);
  if (!pattern) {
    pattern = new RegExp(`(?<![\\w$])"?${table}"?(?![\\w$])`, 'i');
    namePatterns.set(table, pattern);
  }
  return pattern;
}

/**
 * The watched tables a statement may write: those it names, unless it only reads. Deliberately coarse (a
 * statement that merely mentions a table counts), so that no way of writing one is missed.
 */
export function writtenTables(sql: string, tables: readonly string[]): string[] {
  if (READ_ONLY.test(sql)) return [];
  return tables.filter((table) => namePattern(table).test(sql));
}

/**
 * This instance's own writes to the auth tables, seen as they happen, so that the instance that made a change
 * never serves the state before it (the NOTIFY of the table's trigger arrives asynchronously, maybe after
 * the writer's next request). It hooks TypeORM's query events, which every statement of the application's
 * DataSource passes through (repositories, query builders, raw `query()`, transactions alike): a writer
 * cannot forget it, whatever it is and wherever it lives. A write flushes the table's cache at once and,
 * inside a transaction, again when the transaction ends, so that a load made before the commit is not kept.
 * Writes to these tables are rare (admin actions, logins), so a whole flush is cheap.
 */
export class LocalWritesSubscriber implements EntitySubscriberInterface {
  private readonly tables: string[];
  /** Tables written by a transaction still open, by the query runner that runs it. */
  private readonly openTransactions = new WeakMap<QueryRunner, Set<string>>();

  constructor(private readonly flushByTable: ReadonlyMap<string, () => void>) {
    this.tables = [...flushByTable.keys()];
  }

  afterQuery(event: AfterQueryEvent): void {
    const written = writtenTables(event.query, this.tables);
    if (written.length === 0) return;
    for (const table of written) this.flushByTable.get(table)!();
    if (event.queryRunner.isTransactionActive) {
      const tables = this.openTransactions.get(event.queryRunner) ?? new Set<string>();
      for (const table of written) tables.add(table);
      this.openTransactions.set(event.queryRunner, tables);
    }
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    this.transactionEnded(event.queryRunner);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    this.transactionEnded(event.queryRunner);
  }

  private transactionEnded(runner: QueryRunner): void {
    const tables = this.openTransactions.get(runner);
    if (!tables) return;
    for (const table of tables) this.flushByTable.get(table)!();
    // A savepoint's end leaves the transaction open: flush again at its real end.
    if (!runner.isTransactionActive) this.openTransactions.delete(runner);
  }
}
