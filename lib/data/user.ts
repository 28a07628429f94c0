// Users' own data: a CSV for forecasting (--csv file --target col --window N) or for text
// classification (--text file.csv --label col).
import { positiveInt } from '../validate';
import type { ClassificationData } from './classification';
import { column, type CsvTable } from './csv';
import { randomSplit, type SplitFractions, DEFAULT_FRACTIONS } from './random';
import { tokenizeMail } from './spam';
import { buildVocabulary, encodeTokens, labelTensor, padSequences, PAD, UNK } from './text';
import { type DailyFrame, type ForecastData, windowFrame } from './timeseries';

function isNumericColumn(table: CsvTable, k: number): boolean {
  return table.rows.every((r) => r[k].trim() !== '' && Number.isFinite(Number(r[k])));
}

// Dates as spreadsheets and databases write them: 2020-01-31 (with a time or not), 1/31/2020.
const DATE = /^(\d{4}-\d{1,2}-\d{1,2}([ T][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?|\d{1,2}\/\d{1,2}\/\d{2,4})$/;

/** The first column whose every value is a date, or -1: the series' time axis. */
function dateColumn(table: CsvTable): number {
  if (table.rows.length === 0) return -1;
  return table.columns.findIndex((_, j) => table.rows.every((r) => DATE.test(r[j].trim()) && !Number.isNaN(Date.parse(r[j].trim()))));
}

/**
 * Rows in file order are time steps. Every all-numeric column is a feature (so a date column is
 * not); the target column must be numeric and is itself one of the features. A column of dates,
 * when there is one, names the steps in the report; otherwise their row numbers do.
 */
export function forecastFromTable(file: string, table: CsvTable, target: string, window: number, fractions?: SplitFractions): ForecastData {
  const k = table.columns.indexOf(target);
  if (k < 0) throw new Error(`${file}: expected a column named "${target}" (--target), but the columns are: ${table.columns.join(', ')}`);
  if (!isNumericColumn(table, k)) throw new Error(`${file}: expected the --target column "${target}" to hold a number in every row`);
  const numeric = table.columns.map((_, j) => j).filter((j) => isNumericColumn(table, j));
  const d = dateColumn(table);
  const frame: DailyFrame = {
    dates: table.rows.map((r, i) => (d >= 0 ? r[d].trim() : `row ${i + 1}`)),
    featureNames: numeric.map((j) => table.columns[j]),
    features: table.rows.map((r) => numeric.map((j) => Number(r[j]))),
    target: table.rows.map((r) => Number(r[k])),
    targetName: `next ${target}`,
  };
  const data = windowFrame(file, frame, { window, fractions });
  const steps =
    d >= 0 ? `rows taken as consecutive time steps, dated by column "${table.columns[d]}"` : 'rows taken as consecutive time steps';
  data.notes.push(`features ${frame.featureNames.join(', ')}; ${steps}`);
  return data;
}

export interface TextCsvOptions {
  vocabularySize?: number;
  /** Tokens kept per text (--max-tokens); default: the length that covers 95% of the training texts. */
  sequenceLength?: number;
  splitSeed?: number;
  fractions?: SplitFractions;
}

/** The smallest length at least `share` of `lengths` fit in (at least 1). */
export function coveringLength(lengths: readonly number[], share: number): number {
  if (lengths.length === 0) return 1;
  const sorted = [...lengths].sort((a, b) => a - b);
  return Math.max(1, sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]);
}

/** The text is the first non-label column that is not all numbers; classes sorted by name. */
export function textFromTable(file: string, table: CsvTable, label: string, options: TextCsvOptions = {}): ClassificationData {
  const { vocabularySize = 10000, splitSeed = 1, fractions = DEFAULT_FRACTIONS } = options;
  if (options.sequenceLength !== undefined) positiveInt('textFromTable', 'sequenceLength', options.sequenceLength);
  const labels = column(table, label, `${file} (--label)`);
  const textIndex = table.columns.findIndex((c, j) => c !== label && !isNumericColumn(table, j));
  if (textIndex < 0)
    throw new Error(`${file}: expected a text column besides the label "${label}", but the columns are: ${table.columns.join(', ')}`);
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2)
    throw new Error(`${file}: expected at least 2 distinct values in the label column "${label}", but received ${classes.length}`);
  const tokens = table.rows.map((r) => tokenizeMail(r[textIndex]));
  const split = randomSplit(table.rows.length, splitSeed, fractions);
  const vocabulary = buildVocabulary(
    split.train.map((i) => tokens[i]),
    [PAD, UNK],
    vocabularySize,
  );
  const trainLengths = split.train.map((i) => tokens[i].length);
  const sequenceLength = options.sequenceLength ?? coveringLength(trainLengths, 0.95);
  const cut = (idx: number[]) => idx.filter((i) => tokens[i].length > sequenceLength).length;
  const truncated = cut(split.train) + cut(split.validation) + cut(split.test);
  const classId = new Map(classes.map((c, i) => [c, i]));
  const pack = (idx: number[]) => ({
    x: padSequences(
      idx.map((i) => encodeTokens(vocabulary, tokens[i])),
      sequenceLength,
      'pre',
    ),
    y: labelTensor(idx.map((i) => classId.get(labels[i]) as number)),
  });
  return {
    kind: 'classification',
    name: file,
    classes,
    vocabulary,
    sequenceLength,
    train: pack(split.train),
    validation: pack(split.validation),
    test: pack(split.test),
    notes: [
      `text column "${table.columns[textIndex]}", label "${label}", ${table.rows.length} rows, classes ${classes.join(', ')}`,
      `texts cut to their first ${sequenceLength} tokens (${options.sequenceLength === undefined ? 'the length covering 95% of the training texts' : '--max-tokens'}): ${truncated} of ${table.rows.length} texts (${((100 * truncated) / Math.max(1, table.rows.length)).toFixed(1)}%) lost tokens; the longest had ${Math.max(0, ...tokens.map((t) => t.length))}`,
    ],
  };
}
