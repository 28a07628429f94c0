// The CLI's one argument parser, the one atomic writer and the one quantile.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseCommandArgs, UsageError } from '../../lib/util/args';
import { writeAtomic, writeAtomicSync } from '../../lib/util/atomic-write';
import { median, quantile } from '../../lib/util/quantile';

describe('parseCommandArgs', () => {
  const specs = { seeds: 'string', dim: 'list', json: 'flag' } as const;

  test('both value forms, lists in order, flags, positionals and the -- terminator', () => {
    const p = parseCommandArgs(['m.onnx', '--seeds=3', '--dim', 'a=1', '--dim=b=2', '--json', '--json', '--', '--x'], specs, {
      positionals: true,
    });
    expect(p.options.get('seeds')).toEqual(['3']);
    expect(p.options.get('dim')).toEqual(['a=1', 'b=2']);
    expect(p.options.get('json')).toEqual(['true']);
    expect(p.positionals).toEqual(['m.onnx', '--x']);
    expect(parseCommandArgs(['--seeds=--5'], specs).options.get('seeds')).toEqual(['--5']);
    expect(parseCommandArgs(['--seeds', '-1'], specs).options.get('seeds')).toEqual(['-1']);
  });

  test.each([
    [['--bogus=1'], { command: 'compare' }, 'unknown option "--bogus=1"; run gatedrnn compare --help for the options'],
    [['--bogus'], {}, 'unknown option --bogus'],
    [['-x'], {}, 'unknown option -x'],
    [['--seeds'], {}, 'expected a value after --seeds, but received nothing'],
    [['--seeds', '--json'], {}, 'expected a value after --seeds, but received "--json"'],
    [['--json=no'], {}, '--json takes no value, but received "no"'],
    [['--seeds', '1', '--seeds=2'], {}, '--seeds was given twice ("1" and "2")'],
    [['file'], { command: 'compare' }, 'expected only options (run gatedrnn compare --help for them), but received "file"'],
  ])('%j is a UsageError: %s', (argv, parse, message) => {
    expect(() => parseCommandArgs(argv, specs, parse)).toThrow(UsageError);
    expect(() => parseCommandArgs(argv, specs, parse)).toThrow(RangeError);
    expect(() => parseCommandArgs(argv, specs, parse)).toThrow(message);
  });

  test('an inherited property name is not an option', () => {
    expect(() => parseCommandArgs(['--constructor'], specs)).toThrow('unknown option --constructor');
  });
});

describe('writeAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-atomic-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes text and bytes, replaces the old file and leaves no temporary file', async () => {
    const file = path.join(dir, 'a.json');
    writeAtomicSync(file, 'one');
    expect(fs.readFileSync(file, 'utf8')).toBe('one');
    await writeAtomic(file, new Uint8Array([0x74, 0x77, 0x6f]));
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    expect(fs.readdirSync(dir)).toEqual(['a.json']);
  });

  test('removes the temporary files of dead writers to the same path, and only those', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = path.join(dir, `.r.md.${dead}.abc.tmp`);
    const live = path.join(dir, `.r.md.${process.ppid}.def.tmp`);
    const other = path.join(dir, `.s.md.${dead}.abc.tmp`);
    for (const f of [stale, live, other]) fs.writeFileSync(f, 'partial');
    writeAtomicSync(path.join(dir, 'r.md'), 'x');
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(live), path.basename(other), 'r.md'].sort());
  });

  test('a failed write leaves the old file whole and no temporary file', async () => {
    const file = path.join(dir, 'b');
    fs.mkdirSync(file);
    expect(() => writeAtomicSync(file, 'x')).toThrow();
    await expect(writeAtomic(file, 'x')).rejects.toThrow();
    expect(fs.readdirSync(dir)).toEqual(['b']);
    expect(() => writeAtomicSync(path.join(dir, 'missing', 'c'), 'x')).toThrow(/ENOENT/);
  });
});

describe('quantile', () => {
  test('interpolates between order statistics, whatever the input order', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
    expect(quantile([10, 20], 0.1)).toBe(11);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([1, 2, 3], 0)).toBe(1);
    expect(quantile([1, 2, 3], 1)).toBe(3);
    expect(median([])).toBeNaN();
  });

  test('q outside [0, 1] is a RangeError', () => {
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(() => quantile([1], NaN)).toThrow('quantile: expected q to be a number from 0 to 1, but received NaN');
  });
});
