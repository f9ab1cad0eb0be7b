/**
 * CSV as spreadsheets save it (RFC 4180: quoted fields, doubled quotes,
 * CRLF or LF, UTF-8 with or without a BOM), and exports that a spreadsheet
 * cannot turn into formulas.
 */
export interface CsvTable {
  header: string[];
  /** Rows as objects keyed by header; `line` is the 1-based line in the file (header = 1). */
  rows: Array<{ line: number; values: Record<string, string> }>;
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** The records of a CSV text, each with its fields and the 1-based line it starts on; empty lines skipped. */
export function csvRecords(text: string): Array<{ line: number; fields: string[] }> {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: Array<{ line: number; fields: string[] }> = [];
  let field = '';
  let fields: string[] = [];
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (i < source.length) {
    const c = source[i] as string;
    if (quoted) {
      if (c === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '') throw new CsvSyntaxError('a quote inside an unquoted field', line);
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      endRecord();
      if (c === '\r' && source[i + 1] === '\n') i++;
      line++;
      recordLine = line;
    } else {
      field += c;
    }
    i++;
  }
  if (quoted) throw new CsvSyntaxError('a quoted field is not closed', line);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

export function parseCsv(text: string): CsvTable {
  const [head, ...body] = csvRecords(text);
  if (!head) throw new CsvSyntaxError('the file is empty: expected a header line', 1);
  const header = head.fields.map((h) => h.trim());
  const rows = body.map((r) => {
    if (r.fields.length !== header.length) {
      throw new CsvSyntaxError(`expected ${header.length} fields, found ${r.fields.length}`, r.line);
    }
    const values: Record<string, string> = {};
    header.forEach((name, k) => {
      values[name] = (r.fields[k] as string).trim();
    });
    return { line: r.line, values };
  });
  return { header, rows };
}

/** Cells starting like a formula are prefixed with ' so spreadsheets show them as text. */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const lines = [header.join(','), ...rows.map((r) => header.map((h) => csvCell(r[h])).join(','))];
  // The BOM makes Excel read UTF-8 (Chinese addresses) correctly.
  return `\ufeff${lines.join('\r\n')}\r\n`;
}
