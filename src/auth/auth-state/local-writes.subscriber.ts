import {
  AfterQueryEvent,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

const READ_ONLY = /^\s*(?:select|show|listen|unlisten)\b/i;
/** Text that could hide or add a statement, or a clause, from the patterns below. */
const OPAQUE = /;|--|\/\*/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A WHERE clause that starts with a test of the primary key against parameters: `id = $1`, `"id" IN ($2, $3)`, `id = ANY($1)`. */
const BY_ID =
  /^\s*"?id"?\s*(?:=\s*\$(\d+)|=\s*any\s*\(\s*\$(\d+)\s*\)|in\s*\(\s*(\$\d+(?:\s*,\s*\$\d+)*)\s*\))([\s\S]*)$/i;
/** A watched table's name as it may stand in a statement, and the statement shapes read exactly, built once a table. */
interface TablePatterns {
  name: RegExp;
  insert: RegExp;
  update: RegExp;
  delete: RegExp;
}
const tablePatterns = new Map<string, TablePatterns>();

function patternsOf(table: string): TablePatterns {
  let patterns = tablePatterns.get(table);
  if (!patterns) {
    const name = `"?${table}"?`;
    patterns = {
      name: new RegExp(`(?<![\\w$])${name}(?![\\w$])`, 'i'),
      insert: new RegExp(`^\\s*insert\\s+into\\s+${name}\\s*\\(`, 'i'),
      update: new RegExp(`^\\s*update\\s+${name}\\s+set\\s`, 'i'),
      delete: new RegExp(`^\\s*delete\\s+from\\s+${name}\\s+where\\s`, 'i'),
    };
    tablePatterns.set(table, patterns);
  }
  return patterns;
}

/** A table whose rows a cache holds, by id. */
export interface WatchedTable {
  name: string;
  /** The only columns the cache keeps, when it keeps only some: an UPDATE that sets none of them changes nothing it holds. */
  cachedColumns?: readonly string[];
}

/** The rows of a watched table that a statement may write: those with these ids, or any. */
export interface WrittenRows {
  table: string;
  ids: string[] | 'any';
}

/**
 * The rows of the watched tables a statement may write. Deliberately coarse (a statement that merely mentions
 * a table may write any of its rows), so that no way of writing one is missed, except for the shapes every
 * login, refresh and admin action uses, read exactly: an INSERT without ON CONFLICT writes only new rows, which
 * no cache holds (absent rows are never stored); an UPDATE or DELETE whose one WHERE clause starts with the
 * primary key against parameters (`id = $1`, `id IN ($1, $2)`, `id = ANY($1)`), narrowed only by AND, writes
 * only those rows, and none the cache holds if it sets none of the table's cachedColumns. Anything else on the
 * table, or a statement naming two watched tables, may write any row.
 */
export function writtenRows(sql: string, parameters: unknown, tables: readonly WatchedTable[]): WrittenRows[] {
  if (READ_ONLY.test(sql)) return [];
  const named = tables.filter((table) => patternsOf(table.name).name.test(sql));
  const ids = named.length === 1 ? idsWrittenIn(sql, named[0], parameters) : undefined;
  return named.map((table) => ({ table: table.name, ids: ids ?? 'any' }));
}

/** The ids of the only cached rows that `sql` can change, or undefined when it is not one of the shapes read exactly. */
function idsWrittenIn(sql: string, table: WatchedTable, parameters: unknown): string[] | undefined {
  if (OPAQUE.test(sql)) return undefined;
  const patterns = patternsOf(table.name);
  if (patterns.insert.test(sql)) {
    return /\bon\s+conflict\b/i.test(sql) ? undefined : [];
  }
  const isUpdate = patterns.update.test(sql) && !/\bfrom\b/i.test(sql);
  const isDelete = patterns.delete.test(sql) && !/\busing\b/i.test(sql);
  const wheres = sql.split(/\bwhere\b/i);
  if (!(isUpdate || isDelete) || /\bselect\b/i.test(sql) || wheres.length !== 2) return undefined;
  const test = BY_ID.exec(wheres[1]);
  if (!test || !onlyNarrows(test[4]) || !Array.isArray(parameters)) return undefined;
  if (isUpdate && table.cachedColumns) {
    const assigned = assignedColumns(wheres[0].replace(/^\s*update\s+\S+\s+set\s/i, ''));
    if (assigned?.every((column) => !table.cachedColumns!.includes(column))) return [];
  }
  const [, equal, any, list] = test;
  const parameter = (placeholder: string): unknown => parameters[Number(placeholder.trim().replace('$', '')) - 1];
  const values = equal ? [parameter(equal)] : any ? parameter(any) : list.split(',').map(parameter);
  if (!Array.isArray(values) || !values.every((value) => typeof value === 'string' && UUID.test(value))) {
    return undefined;
  }
  // The cache holds ids as PostgreSQL prints a uuid; the check above made sure nothing else can name the row.
  return (values as string[]).map((value) => value.toLowerCase());
}

/** Whether what follows the id test can only narrow it: AND conditions (ORs only inside parentheses), RETURNING. */
function onlyNarrows(rest: string): boolean {
  const outside = outsideParentheses(rest);
  return !/[()]/.test(outside) && !/\bor\b/i.test(outside) && /^\s*(?:(?:and|returning)\b[\s\S]*)?$/i.test(outside);
}

/** The columns a SET clause assigns (`a = …, "b" = …`), or undefined when it cannot tell (a row assignment). */
function assignedColumns(setClause: string): string[] | undefined {
  const columns = outsideParentheses(setClause)
    .split(',')
    .map((assignment) => /^\s*"?(\w+)"?\s*=/.exec(assignment)?.[1]?.toLowerCase());
  return columns.every((column): column is string => column !== undefined) ? columns : undefined;
}

/** The text with every parenthesised part, nested ones included, blanked out. */
function outsideParentheses(text: string): string {
  let outside = text;
  for (let inner = outside.replace(/\([^()]*\)/g, ' '); inner !== outside; inner = inner.replace(/\([^()]*\)/g, ' ')) {
    outside = inner;
  }
  return outside;
}

/** What a watched table's cache offers to forget: one row, or all of them. */
export interface ForgettingState {
  invalidate(id: string): void;
  flush(): void;
}

/**
 * This instance's own writes to the auth tables, seen as they happen, so that the instance that made a change
 * never serves the state before it (the NOTIFY of the table's trigger arrives asynchronously, maybe after
 * the writer's next request). It hooks TypeORM's query events, which every statement of the application's
 * DataSource passes through (repositories, query builders, raw `query()`, transactions alike): a writer
 * cannot forget it, whatever it is and wherever it lives. A write drops the rows it may have written
 * (writtenRows: by id for the shapes logins, refreshes and admin actions use, so that these leave every
 * other user's and session's entry in place; the whole table otherwise) at once and, inside a transaction,
 * again when the transaction ends, so that a load made before the commit is not kept.
 */
export class LocalWritesSubscriber implements EntitySubscriberInterface {
  private readonly statesByTable: ReadonlyMap<string, ForgettingState>;
  /** Rows written by a transaction still open, by the query runner that runs it. */
  private readonly openTransactions = new WeakMap<QueryRunner, WrittenRows[]>();

  constructor(private readonly tables: ReadonlyArray<WatchedTable & { state: ForgettingState }>) {
    this.statesByTable = new Map(tables.map((table) => [table.name, table.state]));
  }

  afterQuery(event: AfterQueryEvent): void {
    const written = writtenRows(event.query, event.parameters, this.tables);
    if (written.length === 0) return;
    for (const rows of written) this.forget(rows);
    if (event.queryRunner.isTransactionActive) {
      const open = this.openTransactions.get(event.queryRunner) ?? [];
      open.push(...written);
      this.openTransactions.set(event.queryRunner, open);
    }
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    this.transactionEnded(event.queryRunner);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    this.transactionEnded(event.queryRunner);
  }

  private transactionEnded(runner: QueryRunner): void {
    const written = this.openTransactions.get(runner);
    if (!written) return;
    for (const rows of written) this.forget(rows);
    // A savepoint's end leaves the transaction open: forget again at its real end.
    if (!runner.isTransactionActive) this.openTransactions.delete(runner);
  }

  private forget({ table, ids }: WrittenRows): void {
    const state = this.statesByTable.get(table)!;
    if (ids === 'any') state.flush();
    else for (const id of ids) state.invalidate(id);
  }
}
