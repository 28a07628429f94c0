// A CSV reader for datasets and user files: RFC 4180 quoting ("a,b", doubled "" inside quotes,
// newlines inside quotes), CRLF or LF line ends, a header row.
import { inputCap, readFileCapped } from '../files';

export interface CsvTable {
  columns: string[];
  rows: string[][];
}

/** Parses CSV text whose first row is the header. Blank lines are skipped. */
export function parseCsv(text: string, where = 'parseCsv'): CsvTable {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let quotedField = false;
  let line = 1;
  let quoteLine = 0;
  const endField = (): void => {
    record.push(field);
    field = '';
    quotedField = false;
  };
  const endRecord = (): void => {
    endField();
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  };
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (inQuotes) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      if (field !== '' || quotedField)
        throw new Error(`${where}: line ${line}: a quote inside an unquoted field; quote the whole field and double the quote ("")`);
      inQuotes = true;
      quotedField = true;
      quoteLine = line;
    } else if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      endRecord();
      line++;
    } else {
      field += c;
    }
  }
  if (inQuotes) throw new Error(`${where}: the quoted field that starts on line ${quoteLine} is never closed`);
  if (field !== '' || record.length > 0) endRecord();
  if (records.length === 0) throw new Error(`${where}: expected a header row, but the file is empty`);
  const [columns, ...rows] = records;
  rows.forEach((r, k) => {
    if (r.length !== columns.length) {
      throw new Error(`${where}: expected ${columns.length} fields (as in the header) in data row ${k + 1}, but received ${r.length}`);
    }
  });
  return { columns, rows };
}

/** Reads and parses a CSV file of at most `maxBytes` (default: inputCap(), 256 MiB). */
export function readCsvFile(file: string, maxBytes = inputCap()): CsvTable {
  return parseCsv(readFileCapped('readCsvFile', file, maxBytes).toString('utf8'), file);
}

/** The values of one named column; the error lists the columns there are. */
export function column(table: CsvTable, name: string, where: string): string[] {
  const k = table.columns.indexOf(name);
  if (k < 0) throw new Error(`${where}: expected a column named "${name}", but the columns are: ${table.columns.join(', ')}`);
  return table.rows.map((r) => r[k]);
}

/** A column parsed as numbers; the error names the row and the value that is not one. */
export function numericColumn(table: CsvTable, name: string, where: string): Float64Array {
  const values = column(table, name, where);
  const out = new Float64Array(values.length);
  values.forEach((v, i) => {
    const x = v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(x)) throw new Error(`${where}: expected a number in column "${name}", data row ${i + 1}, but received "${v}"`);
    out[i] = x;
  });
  return out;
}
