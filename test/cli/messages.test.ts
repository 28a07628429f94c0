/** @jest-environment ./test/helpers/node-realm-environment.ts */

// What the command line and the package say to a user: unknown dim names, messages that name
// their source once, dates in --csv reports, the help text, and the CUDA error.
import * as path from 'node:path';
import { main } from '../../lib/cli';
import { crosscheck } from '../../lib/onnx/crosscheck';
import { COMPARE_USAGE } from '../../lib/compare/cli-args';
import { parseCsv } from '../../lib/data/csv';
import { forecastFromTable, textFromTable } from '../../lib/data/user';
import { GruOp, Tensor, backendInfo } from '../../lib';

const fixture = (name: string) => path.join(__dirname, '../fixtures', 'onnx', `${name}.onnx`);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('crosscheck --dim', () => {
  test('a name the model does not declare is an error that lists the names it does', async () => {
    // torch_gru_state's inputs are x [time, batch, 6] and h0 [1, batch, 10].
    await expect(crosscheck(fixture('torch_gru_state'), undefined, { runs: 1, dims: { seq: 50 } })).rejects.toThrow(
      "crosscheck: expected options.dims to be keyed by the model's symbolic input dims (time, batch), but received a size for 'seq'",
    );
    const c = capture();
    expect(await main(['crosscheck', fixture('torch_gru_state'), '--runs', '1', '--dim', 'seq=50'], c.io)).toBe(2);
    expect(c.err.join('\n')).toBe(
      "gatedrnn crosscheck: expected options.dims to be keyed by the model's symbolic input dims (time, batch), but received a size for 'seq'",
    );
  });

  test('declared names are still taken', async () => {
    const report = await crosscheck(fixture('torch_gru_state'), undefined, { runs: 1, dims: { time: 3, batch: 4 } });
    expect(report.feeds.x.dims).toEqual([3, 4, 6]);
  });
});

describe('messages name their source once', () => {
  test('the CLI does not repeat the command name a library error starts with', async () => {
    const c = capture();
    expect(await main(['crosscheck', fixture('torch_gru_state'), '--runs', '1', '--dim', 'x=1'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^gatedrnn crosscheck: expected /);
    expect(c.err[0]).not.toContain('crosscheck: crosscheck:');
  });

  test("a user CSV's notes leave the file name to the report, which prefixes the dataset", () => {
    const rows = Array.from({ length: 12 }, (_, i) => `2020-01-${String(i + 1).padStart(2, '0')},${i},${i % 3}`);
    const d = forecastFromTable('data/sales.csv', parseCsv(`date,units,price\n${rows.join('\n')}`), 'units', 3);
    for (const note of d.notes) expect(note).not.toContain('data/sales.csv');
    const texts = Array.from({ length: 10 }, (_, i) => `some words ${i},${i % 2 ? 'a' : 'b'}`);
    const t = textFromTable('data/texts.csv', parseCsv(`text,label\n${texts.join('\n')}`), 'label');
    for (const note of t.notes) expect(note).not.toContain('data/texts.csv');
  });
});

describe('--csv dates', () => {
  const rows = (date: (i: number) => string) => Array.from({ length: 12 }, (_, i) => `${date(i)},${i},${(i * 7) % 5}`).join('\n');

  test('a date column names the steps', () => {
    const d = forecastFromTable(
      's.csv',
      parseCsv(`date,units,price\n${rows((i) => `2021-03-${String(i + 1).padStart(2, '0')}`)}`),
      'units',
      3,
    );
    expect(d.featureNames).toEqual(['units', 'price']);
    expect(d.test.targetDates[d.test.targetDates.length - 1]).toBe('2021-03-12');
    expect(d.notes.join(' ')).toContain('train 2021-03-03 .. ');
    expect(d.notes.join(' ')).toContain('dated by column "date"');
  });

  test('US dates and timestamps count as dates too', () => {
    const us = forecastFromTable('s.csv', parseCsv(`when,units,price\n${rows((i) => `3/${i + 1}/2021`)}`), 'units', 3);
    expect(us.test.targetDates[us.test.targetDates.length - 1]).toBe('3/12/2021');
    const ts = forecastFromTable(
      's.csv',
      parseCsv(`at,units,price\n${rows((i) => `2021-03-01T${String(i).padStart(2, '0')}:00:00Z`)}`),
      'units',
      3,
    );
    expect(ts.test.targetDates[ts.test.targetDates.length - 1]).toBe('2021-03-01T11:00:00Z');
  });

  test('without a date column the steps are row numbers, and say so', () => {
    const d = forecastFromTable('s.csv', parseCsv(`label,units,price\n${rows((i) => `x${i}`)}`), 'units', 3);
    expect(d.test.targetDates[d.test.targetDates.length - 1]).toBe('row 12');
    expect(d.notes.join(' ')).not.toContain('dated by');
  });
});

test('compare --help describes --full without pointing at a README table', async () => {
  expect(COMPARE_USAGE).toMatch(/--full +whole datasets and longer training \(hours on 2 cores; the default is a quick run\)/);
  expect(COMPARE_USAGE).not.toContain('README');
});

test('the CUDA error tells a package user what to run, not a repository script', () => {
  if (backendInfo().cudaInfo?.built) return; // a CUDA build has nothing to refuse
  const H = 2,
    I = 2;
  const t = (dims: number[]) => new Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b)), dims);
  let message = '';
  try {
    new GruOp({ W: t([1, 3 * H, I]), R: t([1, 3 * H, H]) }, { device: 'cuda' });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toContain('GATEDRNN_CUDA=1 npm rebuild gatedrnn');
  expect(message).not.toContain('npm run');
});
