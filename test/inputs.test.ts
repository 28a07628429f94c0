/**
 * Inputs that never end and text that would make a tokenizer quadratic: the mail tokenizer is
 * linear in its input, files are read in chunks under a size cap, numeric flags are bounded, and
 * what the user sees are our messages. A save killed before its rename leaves a temporary file
 * that the next save to the same path removes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GruOp, Tensor, layers, sequential } from '../lib';
import { main } from '../lib/cli';
import { CompareArgsError, parseCompareArgs } from '../lib/compare/cli-args';
import { readCsvFile } from '../lib/data/csv';
import { tokenizeMail } from '../lib/data/spam';
import { readFileCapped, readFileCappedAsync } from '../lib/files';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-inputs-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MiB = 2 ** 20;

describe('the mail tokenizer is linear', () => {
  // Each of these took quadratic time (1 MB: hours); linear, each is tens of milliseconds. The
  // test's time limit is the check: no timing assertion.
  test.each([
    ['1 MB of word characters', 'a'.repeat(MiB)],
    ['1 MB of "<"', '<'.repeat(MiB)],
    ['a local part of 1 MB before an "@"', 'x'.repeat(MiB) + '@host'],
    ['1 MB after an "@"', 'x@' + 'y'.repeat(MiB)],
    ['"a@" repeated', 'a@'.repeat(MiB / 2)],
  ])(
    '%s',
    (_name, text) => {
      expect(tokenizeMail(text).length).toBeLessThan(text.length);
    },
    10_000,
  );

  test('addresses, links, tags and numbers are still recognized', () => {
    expect(tokenizeMail('Mail <b>me</b> at first.last+tag@mail.example.com or www.example.com, 1,000 now!')).toEqual([
      'mail',
      'me',
      'at',
      '<email>',
      'or',
      '<url>',
      '<num>',
      'now',
      '!',
    ]);
    expect(tokenizeMail('a<b<c>d')).toEqual(['a', 'b', 'd']);
  });
});

describe('files are read in chunks under a cap', () => {
  test('/dev/zero is refused at the cap, not read forever', async () => {
    expect(() => readFileCapped('test', '/dev/zero', 3 * MiB)).toThrow(
      'test: expected the file /dev/zero to be at most 3.0 MiB, but received more (reading stopped there)',
    );
    await expect(readFileCappedAsync('test', '/dev/zero', 3 * MiB)).rejects.toThrow(RangeError);
    expect(() => readCsvFile('/dev/zero', MiB)).toThrow(/readCsvFile: expected the file \/dev\/zero to be at most 1\.0 MiB/);
  });

  test('a file under the cap reads whole; GATEDRNN_MAX_INPUT_BYTES sets the default cap', () => {
    const file = path.join(tmp, 'x.csv');
    fs.writeFileSync(file, 'a,b\n' + '1,2\n'.repeat(300_000));
    expect(readCsvFile(file).rows.length).toBe(300_000);
    const saved = process.env.GATEDRNN_MAX_INPUT_BYTES;
    process.env.GATEDRNN_MAX_INPUT_BYTES = String(MiB);
    try {
      expect(() => readCsvFile(file)).toThrow(/at most 1\.0 MiB \(set GATEDRNN_MAX_INPUT_BYTES to raise the cap\)/);
    } finally {
      if (saved === undefined) delete process.env.GATEDRNN_MAX_INPUT_BYTES;
      else process.env.GATEDRNN_MAX_INPUT_BYTES = saved;
    }
  });
});

describe('numeric flags and options are bounded, with our messages', () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
  }
  const model = path.join(__dirname, 'fixtures', 'onnx', 'torch_gru_state.onnx');

  test.each([
    [['--runs', '1e12'], /--runs expects a non-negative integer of at most 10000, but received '1e12'/],
    [['--threads', '1e9'], /--threads expects a non-negative integer of at most 1024, but received '1e9'/],
    [['--dim', 'batch=1e12'], /--dim expects name=size/],
    [['--dim', 'batch=99999999999'], /--dim expects name=size with size in \[1, 2\^31\)/],
  ])('crosscheck %j', async (flags, message) => {
    const c = capture();
    expect(await main(['crosscheck', model, ...flags], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(message);
  });

  test('an operator asked for 1e9 threads is a RangeError, not std::bad_alloc', () => {
    const W = new Tensor('float32', new Float32Array(12), [1, 12, 1]);
    const R = new Tensor('float32', new Float32Array(48), [1, 12, 4]);
    expect(() => new GruOp({ W, R }, { threads: 1e9 })).toThrow('GruOp: expected threads to be at most 1024, but received 1000000000');
  });

  test('a layer too large for one array is our RangeError, not V8\'s "Invalid typed array length"', () => {
    const m = sequential([layers.dense({ units: 2e9 })]);
    expect(() => m.build([4])).toThrow(
      /^parameter kernel: expected its shape to be at most \d+ floats \(the largest array Node can hold\), but received \[4, 2000000000\] = 8000000000 floats$/,
    );
  });

  test('compare --out that names a file is refused before any training', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => parseCompareArgs(['--out', file])).toThrow(CompareArgsError);
    expect(() => parseCompareArgs(['--out', file])).toThrow(`expected --out to be a folder, but ${file} is a file`);
  });
});

describe('a save killed before its rename', () => {
  test('leaves a temporary file that the next save to that path removes; saves in flight keep theirs', async () => {
    const m = sequential([layers.dense({ units: 2 })]);
    m.build([3]);
    const file = path.join(tmp, 'm.gatedrnn');
    // A pid that no longer runs: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = path.join(tmp, `.m.gatedrnn.${dead}.abc123.tmp`);
    const live = path.join(tmp, `.m.gatedrnn.${process.ppid}.def456.tmp`);
    const other = path.join(tmp, `.other.gatedrnn.${dead}.abc123.tmp`);
    for (const f of [stale, live, other]) fs.writeFileSync(f, 'partial');
    await m.save(file);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    expect(fs.existsSync(file)).toBe(true);
    m.dispose();
  });
});
