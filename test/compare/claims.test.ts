// The claims' verdicts on synthetic per-seed values with known answers, the sanity checks that
// make an experiment invalid, the report and the CLI wiring (with a FAKE runClaims: no training).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claimRows, claimsPlan, type ClaimRow, type ClaimsResults, judge, lagAtHalf, planJobs } from '../../lib/compare/claims';
import { claimsMarkdown, claimsTable, writeClaimsReport } from '../../lib/compare/claims-report';
import { parseCompareArgs } from '../../lib/compare/cli-args';
import { compareCommand } from '../../lib/compare/command';
import type { TrainAndMeasure } from '../../lib/compare/runner';

function row(gru: number[], lstm: number[], over: Partial<ClaimRow> = {}): ClaimRow {
  return {
    claim: 'small-data',
    label: 'synthetic',
    experiment: 'e',
    measure: 'm',
    favours: 'gru',
    higherIsBetter: true,
    margin: 0.01,
    scale: 'linear',
    unit: '',
    gru,
    lstm,
    units: 'seeds',
    invalid: null,
    command: 'cmd',
    ...over,
  };
}

const noise = [0.001, -0.002, 0.0015, -0.0005, 0.0, 0.002, -0.001, -0.0012];

describe('verdicts on synthetic values', () => {
  test('supported, contradicted, equivalent and inconclusive', () => {
    const base = [0.8, 0.81, 0.79, 0.8, 0.82, 0.8, 0.78, 0.81];
    const ahead = base.map((v, i) => v + 0.1 + noise[i]);
    const rows = judge([
      row(ahead, base, { label: 'gru ahead, gru claimed' }),
      row(ahead, base, { label: 'gru ahead, lstm claimed', favours: 'lstm' }),
      row(
        base.map((v, i) => v + noise[i]),
        base,
        { label: 'same', margin: 0.02 },
      ),
      row([0.1, 0.9, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4], [0.5, 0.2, 0.6, 0.9, 0.1, 0.7, 0.3, 0.6], { label: 'noise' }),
    ]);
    expect(rows.map((r) => r.verdict)).toEqual(['supported', 'contradicted', 'equivalent', 'inconclusive']);
    expect(rows[3].seedsNeeded).toBeGreaterThan(8);
    expect(rows[0].seedsNeeded).toBeNull();
  });

  test('lower-is-better rows read the direction the other way', () => {
    const lstm = [2, 2.1, 1.9, 2, 2.05];
    const gru = lstm.map((v, i) => v * 0.7 + noise[i]);
    const [r] = judge([row(gru.map(Math.log), lstm.map(Math.log), { higherIsBetter: false, scale: 'log', margin: Math.log(1.1) })]);
    expect(r.verdict).toBe('supported');
    expect(Math.exp(r.evidence!.estimate)).toBeCloseTo(0.7, 1);
  });

  test("Holm's correction across rows can turn a lone significant row inconclusive", () => {
    // p of this row alone is about 0.013; beside nine null rows Holm multiplies it by 10.
    const lstm = [0.5, 0.51, 0.51, 0.5, 0.5];
    const gru = lstm.map((v, i) => v + [0.02, 0.05, 0.01, 0.04, 0.03][i]);
    expect(judge([row(gru, lstm)])[0].verdict).toBe('supported');
    const nulls = Array.from({ length: 9 }, () => row([0.1, 0.9, 0.5, 0.3, 0.7], [0.5, 0.2, 0.6, 0.9, 0.1]));
    expect(judge([row(gru, lstm), ...nulls])[0].verdict).toBe('inconclusive');
  });
});

describe('sanity checks', () => {
  const plan = claimsPlan(false);

  test('memory: below 95% at the shortest lag makes the row invalid, with no verdict', () => {
    const memory = [];
    for (const lag of plan.memory.lags)
      for (const seed of plan.memory.seeds)
        for (const cell of ['gru', 'lstm'] as const) {
          const success = lag === 10 ? (cell === 'gru' ? 0.9 : 1) : 0.5;
          memory.push({ task: 'adding' as const, lag, cell, seed, units: 32, result: { success, testLoss: 0.1, params: 100 } });
        }
    const rows = judge(claimRows({ ...plan, memory: { ...plan.memory, tasks: ['adding'] } }, { memory }));
    expect(rows).toHaveLength(1);
    expect(rows[0].verdict).toBe('invalid');
    expect(rows[0].invalid).toMatch(/shortest lag \(10\) GRU succeeds on 90\.0%/);
    expect(rows[0].evidence).toBeUndefined();
    memory.forEach((m) => m.lag === 10 && (m.result.success = 0.97));
    expect(judge(claimRows({ ...plan, memory: { ...plan.memory, tasks: ['adding'] } }, { memory }))[0].verdict).not.toBe('invalid');
  });

  test('expressive: a seed not exact on every trained n makes the row invalid', () => {
    const expressive = plan.expressive.seeds.flatMap((seed) =>
      (['gru', 'lstm'] as const).map((cell) => ({
        cell,
        seed,
        units: 10,
        result: { exact: [], exactUpTo: cell === 'gru' && seed === 2 ? 17 : 40, params: 700 },
      })),
    );
    const [r] = judge(claimRows(plan, { expressive }));
    expect(r.verdict).toBe('invalid');
    expect(r.invalid).toMatch(/GRU is not exact on every trained n ≤ 20 \(seed 2\)/);
  });

  test('the lag at which success falls to 50%, interpolated on log lag', () => {
    expect(lagAtHalf([10, 100], [1, 0]).lag).toBeCloseTo(Math.sqrt(1000), 9);
    expect(lagAtHalf([10, 50, 100], [1, 0.9, 0.8])).toEqual({ lag: 100, censored: true });
    expect(lagAtHalf([10, 50], [0.2, 0.1])).toEqual({ lag: 10, censored: true });
  });
});

describe('plan', () => {
  test('timing runs in its own phase; every GRU job has its LSTM twin with the same seed', () => {
    const p = planJobs(claimsPlan(false), ['speed', 'memory', 'budget']);
    expect(p.jobs[0].kind).toBe('speed');
    expect(p.phases.filter((x) => x === 0)).toHaveLength(1);
    const budget = p.jobs.filter((j) => j.kind === 'budget');
    for (let i = 0; i < budget.length; i += 2)
      expect([budget[i], budget[i + 1]].map((j) => ('cell' in j ? j.cell : ''))).toEqual(['gru', 'lstm']);
    const lag = p.jobs.filter((j) => j.kind === 'lag');
    // Equal parameters: the GRU is wider than the LSTM.
    const g = lag.find((j) => 'cell' in j && j.cell === 'gru')!;
    const l = lag.find((j) => 'cell' in j && j.cell === 'lstm')!;
    expect('units' in g && 'units' in l && g.units > l.units).toBe(true);
  });
});

function fakeResults(): ClaimsResults {
  const plan = claimsPlan(false);
  const budget = plan.budget.seeds.flatMap((seed) =>
    (['gru', 'lstm'] as const).map((cell) => ({
      cell,
      seed,
      units: 32,
      result: {
        seconds: [1, 2, 3, 4],
        validationAccuracy: cell === 'gru' ? [0.7, 0.8, 0.83, 0.84] : [0.6, 0.75, 0.81, 0.83 + seed * 0.001],
        final: 0.84,
        updates: 40,
        params: 100,
      },
    })),
  );
  const rows = judge(claimRows(plan, { budget }));
  return {
    version: 1,
    kind: 'claims',
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: { platform: 'linux', arch: 'x64', cpuModel: 'Test CPU', cpus: 2, node: 'v20' },
    settings: { full: false, parallel: 2, claims: ['budget'], loadAverage: [1, 1, 1] },
    wallSeconds: 12,
    jobSeconds: { budget: 20 },
    plan,
    rows,
    raw: { budget },
  };
}

describe('report', () => {
  test('the table has the issue’s columns and the markdown names the command for each claim', () => {
    const r = fakeResults();
    const table = claimsTable(r.rows);
    expect(table.split('\n')[0]).toBe(
      '| claim | experiment | measure (claimed) | GRU | LSTM | Δ GRU − LSTM [95% interval] | seeds | margin | verdict |',
    );
    expect(table).toContain('budget: quality at 4 s');
    const md = claimsMarkdown(r, { budget: 'claims-budget.svg' });
    expect(md).toContain('`npx gatedrnn compare --claim budget`');
    expect(md).toContain('[claims-budget.svg](claims-budget.svg)');
  });

  test('writes report.md, report.html, results.json and one chart per claim', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claims-'));
    const w = writeClaimsReport(fakeResults(), dir);
    expect(w.files.charts.map((f) => path.basename(f))).toEqual(['claims-budget.svg']);
    expect(fs.readFileSync(w.files.charts[0], 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    const json = JSON.parse(fs.readFileSync(w.files.json, 'utf8'));
    expect(json.rows[0].gru).toHaveLength(claimsPlan(false).budget.seeds.length);
    expect(json.raw.budget[0].result.validationAccuracy).toEqual([0.7, 0.8, 0.83, 0.84]);
    const html = fs.readFileSync(w.files.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Verdicts');
  });
});

describe('CLI', () => {
  test('--claims and --claim parse; unknown claims are refused', () => {
    expect(parseCompareArgs([]).claims).toBeNull();
    expect(parseCompareArgs(['--claims']).claims).toEqual(['speed', 'memory', 'expressive', 'small-data', 'budget', 'tasks']);
    expect(parseCompareArgs(['--claim', 'tasks,memory']).claims).toEqual(['memory', 'tasks']);
    expect(() => parseCompareArgs(['--claims', '--seeds', '5'])).toThrow(/--seeds does not apply with --claims/);
    expect(parseCompareArgs(['--claims', '--full', '--out', 'x', '--json'])).toMatchObject({ full: true, out: 'x', json: true });
    expect(() => parseCompareArgs(['--claim', 'speed,fast'])).toThrow(
      /expected --claim to list claims among speed, memory, expressive, small-data, budget, tasks, but received "speed,fast"/,
    );
  });

  test('compare --claims runs the claims and writes the report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claims-cli-'));
    let out = '';
    const seen: unknown[] = [];
    const code = await compareCommand(['--claim', 'budget', '--out', dir], {
      trainAndMeasure: (() => Promise.reject(new Error('not used'))) as unknown as TrainAndMeasure,
      stdout: {
        write: (s: string) => {
          out += s;
          return true;
        },
      } as never,
      stderr: { write: () => true } as never,
      runClaims: async (options) => {
        seen.push(options.claims);
        return fakeResults();
      },
    });
    expect(code).toBe(0);
    expect(seen).toEqual([['budget']]);
    expect(out).toContain('| budget: quality at 4 s |');
    expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(true);
  });
});
