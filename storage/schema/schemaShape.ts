/**
 * A schema as facts that can be compared: what the definition means in one dialect
 * (shapeOfDefinition), what a live database has (sqliteCatalog.ts, postgresCatalog.ts), and both
 * seen through SQLite's types so the two dialects compare with each other (neutralShape).
 *
 * Column order is not part of it: an old installation got some columns by ALTER TABLE (at the
 * end), a new one has them where the definition lists them, and every query names its columns.
 */
import { columnType, defaultSql, typesSpelled } from './renderDdl.ts';
import { type Dialect, indexColumn, type Table, tablesOf } from './schemaTypes.ts';

export interface ColumnShape {
  /** As the dialect spells it (renderDdl.ts's spelling). */
  type: string;
  notNull: boolean;
  /** The default expression, normalised; null when there is none. */
  default: string | null;
}

export interface ForeignKeyShape {
  columns: string[];
  table: string;
  references: string[];
  onDelete: string;
}

export interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  unique: string[][];
  foreignKeys: ForeignKeyShape[];
  /** Normalised CHECK expressions, sorted. */
  checks: string[];
}

export interface IndexShape {
  table: string;
  unique: boolean;
  /** `column` or `column desc`. */
  columns: string[];
  where: string | null;
}

/** Tables and indexes (not those that back a primary key or UNIQUE constraint). */
export interface SchemaShape {
  tables: Record<string, TableShape>;
  indexes: Record<string, IndexShape>;
}

// ---- expressions: the same condition as a person, SQLite and PostgreSQL write it

interface Token {
  text: string;
  start: number;
  end: number;
}

const TOKEN =
  /\s*('(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d+)?|::|<>|!=|>=|<=|\|\||[()[\],.=<>+\-*/%;])/y;

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < sql.length) {
    if (/^\s*$/.test(sql.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(sql);
    if (!m?.[1]) throw new Error(`cannot read SQL at ${at}: ${sql.slice(at, at + 30)}`);
    tokens.push({ text: m[1], start: TOKEN.lastIndex - m[1].length, end: TOKEN.lastIndex });
  }
  return tokens;
}

/** The SQL between the parenthesis at `open` and its partner, and the partner's index. */
export function parenthesised(sql: string, tokens: Token[], open: number): { inner: string; close: number } {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!.text;
    if (t === '(') depth++;
    else if (t === ')' && --depth === 0) {
      return { inner: sql.slice(tokens[open]!.end, tokens[i]!.start).trim(), close: i };
    }
  }
  throw new Error(`unbalanced parentheses in ${sql}`);
}

/** Words that may follow `::` in PostgreSQL's printout of an expression. */
const TYPE_WORDS = new Set([
  'text',
  'bigint',
  'integer',
  'smallint',
  'jsonb',
  'json',
  'boolean',
  'numeric',
  'double',
  'precision',
  'real',
  'character',
  'varying',
  'xid8',
  'regclass',
  'timestamp',
  'with',
  'time',
  'zone',
]);

/** Words before a parenthesis that make it grouping, not a function call. */
const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'is',
  'null',
  'like',
  'between',
  'case',
  'when',
  'then',
  'else',
  'end',
]);

/**
 * One spelling for an expression: lower case outside literals, identifiers unquoted, `!=` as
 * `<>`, PostgreSQL's casts dropped, its `x = ANY (ARRAY[a, b])` back to `x IN (a, b)`, and grouping
 * parentheses dropped (PostgreSQL prints them around every operation). Dropping them can make
 * two differently grouped expressions look alike; the definition's expressions are simple
 * enough, and each dialect is also compared with its own rendering of the definition.
 */
export function normalizeExpression(sql: string): string {
  let tokens = tokenize(sql).map(({ text }) => {
    if (text.startsWith("'")) return text;
    if (text.startsWith('"')) return text.slice(1, -1).replaceAll('""', '"');
    return text === '!=' ? '<>' : text.toLowerCase();
  });
  tokens = dropCasts(tokens);
  tokens = anyArrayToIn(tokens);
  return dropGroupingParentheses(tokens).join(' ');
}

function dropCasts(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== '::') {
      out.push(tokens[i]!);
      continue;
    }
    while (TYPE_WORDS.has(tokens[i + 1] ?? '')) i++;
    while (tokens[i + 1] === '[' && tokens[i + 2] === ']') i += 2;
  }
  return out;
}

function anyArrayToIn(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const head = tokens.slice(i, i + 5).join(' ');
    const close = tokens.indexOf(']', i);
    if (head === '= any ( array [' && close > 0 && tokens[close + 1] === ')') {
      out.push('in', '(', ...tokens.slice(i + 5, close), ')');
      i = close + 1;
    } else {
      out.push(tokens[i]!);
    }
  }
  return out;
}

function dropGroupingParentheses(tokens: string[]): string[] {
  const out: string[] = [];
  const kept: boolean[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '(') {
      const before = tokens[i - 1] ?? '';
      const call = before === 'in' || (/^[a-z_][a-z0-9_$]*$/.test(before) && !KEYWORDS.has(before));
      kept.push(call);
      if (call) out.push(t);
    } else if (t === ')') {
      if (kept.pop()) out.push(t);
    } else {
      out.push(t);
    }
  }
  return out;
}

// ---- shapes

const byJson = <T>(list: T[]): T[] =>
  [...list].sort((a, b) =>
    JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
  );

/** Puts a shape's lists in one order. */
export function sortedTable(table: TableShape): TableShape {
  return {
    ...table,
    unique: byJson(table.unique),
    foreignKeys: byJson(table.foreignKeys),
    checks: [...table.checks].sort(),
  };
}

export const indexColumnShape = (column: string, descending: boolean): string =>
  normalizeExpression(`${column}${descending ? ' desc' : ''}`);

/** What the definition should look like in a `dialect` database. */
export function shapeOfDefinition(tables: readonly Table[], dialect: Dialect): SchemaShape {
  const shape: SchemaShape = { tables: {}, indexes: {} };
  for (const table of tablesOf(tables, dialect)) {
    const columns: Record<string, ColumnShape> = {};
    for (const c of table.columns) {
      columns[c.name] = {
        type: columnType(c.type, dialect),
        notNull: !c.nullable || table.primaryKey.includes(c.name),
        default: c.default === undefined ? null : normalizeExpression(defaultSql(c.default, dialect)),
      };
    }
    shape.tables[table.name] = sortedTable({
      columns,
      primaryKey: table.primaryKey,
      unique: table.unique ?? [],
      foreignKeys: table.columns.flatMap((c) =>
        c.references
          ? [
              {
                columns: [c.name],
                table: c.references.table,
                references: [c.references.column],
                onDelete: c.references.onDelete ?? 'no action',
              },
            ]
          : [],
      ),
      checks: (table.checks ?? []).map(normalizeExpression),
    });
    for (const index of table.indexes ?? []) {
      shape.indexes[index.name] = {
        table: index.table,
        unique: index.unique ?? false,
        columns: index.columns.map(indexColumn).map((c) => indexColumnShape(c.column, c.descending ?? false)),
        where: index.where ? normalizeExpression(index.where) : null,
      };
    }
  }
  return shape;
}

/**
 * A shape seen through SQLite's types, so that a PostgreSQL database compares with a SQLite one:
 * each PostgreSQL type becomes the SQLite type of the same abstract type (boolean → INTEGER,
 * jsonb → TEXT, ...), and boolean defaults become 0/1. Tables named in `leaveOut` are dropped.
 */
export function neutralShape(
  shape: SchemaShape,
  dialect: Dialect,
  leaveOut: readonly string[] = [],
): SchemaShape {
  const neutralType = (spelled: string): string => {
    if (dialect === 'sqlite') return spelled;
    const [type, ...more] = typesSpelled(spelled, 'postgres');
    if (!type || more.length)
      throw new Error(`PostgreSQL type ${spelled} is not one of the definition's types`);
    return columnType(type, 'sqlite');
  };
  const neutralDefault = (value: string | null) => (value === 'true' ? '1' : value === 'false' ? '0' : value);
  const tables: Record<string, TableShape> = {};
  for (const [name, table] of Object.entries(shape.tables)) {
    if (leaveOut.includes(name)) continue;
    const columns: Record<string, ColumnShape> = {};
    for (const [column, c] of Object.entries(table.columns)) {
      columns[column] = { type: neutralType(c.type), notNull: c.notNull, default: neutralDefault(c.default) };
    }
    tables[name] = { ...table, columns };
  }
  const indexes = Object.fromEntries(
    Object.entries(shape.indexes).filter(([, i]) => !leaveOut.includes(i.table)),
  );
  return { tables, indexes };
}
