// From the claims jobs' raw results to the rows of the verdict table: each claim's measure per
// seed, its sanity check, and the verdicts with the statistics from verdict.ts.
import type { BuiltinTask } from '../tasks';
import type { AnbnResult, BudgetResult, DataSizeResult, LagResult, LagTask, SpeedConfig, SpeedResult } from '../tasks/claims';
import { type ClaimJobResult, cachedTask, type TaskJobResult } from './claims-jobs';
import type { ClaimsPlan, PlannedJobs } from './claims-plan';
import type { Cell } from './params';
import type { ClaimId } from './results';
import { decideAll, type DecisionResult, type Evidence, pairedDifference } from './verdict';

export type ClaimVerdict = 'supported' | 'contradicted' | 'equivalent' | 'inconclusive' | 'invalid';

/** One row of the verdict table: one measure of one claim, per-seed values for both cells. */
export interface ClaimRow {
  claim: ClaimId;
  /** What this row tests, e.g. 'training time, equal units'. */
  label: string;
  experiment: string;
  measure: string;
  /** The cell the claim says is better on this measure. */
  favours: Cell;
  higherIsBetter: boolean;
  /** Differences within ±margin (in the measure's units; for 'log', of ln values) do not matter. */
  margin: number;
  /** 'log': values are natural logs and the difference reads as a GRU/LSTM ratio. */
  scale: 'linear' | 'log';
  unit: string;
  /** Per seed (or timing round), paired by index. */
  gru: number[];
  lstm: number[];
  /** What one paired unit is: 'seeds' or 'rounds'. */
  units: 'seeds' | 'rounds';
  /** Set when a sanity check failed: the reason, and no verdict. */
  invalid: string | null;
  /** The command that reproduces the row. */
  command: string;
  evidence?: Evidence;
  decision?: DecisionResult;
  verdict?: ClaimVerdict;
  /** When inconclusive: the seeds per cell that would settle it. */
  seedsNeeded?: number | null;
}
export interface ClaimsRaw {
  speed?: { configs: SpeedConfig[]; result: SpeedResult };
  memory?: { task: LagTask; lag: number; cell: Cell; seed: number; units: number; result: LagResult }[];
  expressive?: { cell: Cell; seed: number; units: number; result: AnbnResult }[];
  smallData?: { size: number; cell: Cell; seed: number; units: number; result: DataSizeResult }[];
  budget?: { cell: Cell; seed: number; units: number; result: BudgetResult }[];
  tasks?: { task: BuiltinTask; cell: Cell; seed: number; units: number; result: TaskJobResult }[];
}

/** Files the job results under their claims. */
export function collectRaw(planned: PlannedJobs, results: readonly ClaimJobResult[]): ClaimsRaw {
  const raw: ClaimsRaw = {};
  planned.jobs.forEach((job, i) => {
    const r = results[i];
    switch (job.kind) {
      case 'speed':
        raw.speed = { configs: job.configs, result: r as SpeedResult };
        break;
      case 'lag':
        (raw.memory ??= []).push({
          task: job.task,
          lag: job.lag,
          cell: job.cell,
          seed: job.seed,
          units: job.units,
          result: r as LagResult,
        });
        break;
      case 'anbn':
        (raw.expressive ??= []).push({ cell: job.cell, seed: job.seed, units: job.units, result: r as AnbnResult });
        break;
      case 'datasize':
        (raw.smallData ??= []).push({
          size: (r as DataSizeResult).size,
          cell: job.cell,
          seed: job.seed,
          units: job.units,
          result: r as DataSizeResult,
        });
        break;
      case 'budget':
        (raw.budget ??= []).push({ cell: job.cell, seed: job.seed, units: job.units, result: r as BudgetResult });
        break;
      case 'task':
        (raw.tasks ??= []).push({
          task: job.task,
          cell: job.spec.cell as Cell,
          seed: job.seed,
          units: job.spec.units,
          result: r as TaskJobResult,
        });
        break;
    }
  });
  return raw;
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Per seed in `seedList`, pick(cell, seed) for both cells. */
function perSeed(seedList: readonly number[], pick: (cell: Cell, seed: number) => number): Record<Cell, number[]> {
  return { gru: seedList.map((s) => pick('gru', s)), lstm: seedList.map((s) => pick('lstm', s)) };
}

export const commandFor = (claim: ClaimId, full: boolean) => `npx gatedrnn compare --claim ${claim}${full ? ' --full' : ''}`;

/** The lag at which success falls to 50%, interpolated on log lag; the longest lag when it never does. */
export function lagAtHalf(lags: readonly number[], success: readonly number[]): { lag: number; censored: boolean } {
  if (success[0] < 0.5) return { lag: lags[0], censored: true };
  for (let i = 1; i < lags.length; i++) {
    if (success[i] < 0.5) {
      const f = (success[i - 1] - 0.5) / (success[i - 1] - success[i]);
      return { lag: Math.exp(Math.log(lags[i - 1]) + f * (Math.log(lags[i]) - Math.log(lags[i - 1]))), censored: false };
    }
  }
  return { lag: lags[lags.length - 1], censored: true };
}

const TASK_LABEL: Record<LagTask, string> = { adding: 'adding problem', recall: 'delayed recall', copy: 'copy memory' };

/** The rows of the verdict table, each with its sanity check applied. */
export function claimRows(plan: ClaimsPlan, raw: ClaimsRaw): ClaimRow[] {
  const rows: ClaimRow[] = [];
  const full = plan.full;
  if (raw.speed) {
    const { configs, result } = raw.speed;
    const s = plan.speed;
    const rounds = result.trainMs.gru[0]?.length ?? 0;
    const logMean = (table: number[][], which: number[], r: number) => mean(which.map((c) => Math.log(table[c][r])));
    const pick = (match: 'units' | 'params', batch?: number) =>
      configs.map((c, i) => (c.match === match && (batch === undefined || c.batch === batch) ? i : -1)).filter((i) => i >= 0);
    const base = {
      claim: 'speed' as const,
      favours: 'gru' as const,
      higherIsBetter: false,
      margin: Math.log(1.1),
      scale: 'log' as const,
      units: 'rounds' as const,
      invalid: null,
      command: commandFor('speed', full),
    };
    const exp = `H ∈ {${s.hidden.join(', ')}}, T = ${s.steps}, B ∈ {${s.batches.join(', ')}}, one thread, ${rounds} interleaved rounds`;
    for (const [label, match, table, measure] of [
      ['training time, equal units', 'units', result.trainMs, 'forward + backward time per sample (geometric mean over H and B)'],
      ['training time, equal parameters', 'params', result.trainMs, 'forward + backward time per sample (geometric mean over H and B)'],
      ['inference time, equal parameters', 'params', result.inferMs, 'inference time per call (geometric mean over H and B)'],
    ] as const) {
      const which = pick(match);
      const r = Array.from({ length: rounds }, (_, k) => k);
      rows.push({
        ...base,
        label,
        experiment: `timing, ${exp}`,
        measure,
        unit: 'ms',
        gru: r.map((k) => logMean(table.gru, which, k)),
        lstm: r.map((k) => logMean(table.lstm, which, k)),
      });
    }
  }
  if (raw.memory) {
    const m = plan.memory;
    for (const task of m.tasks) {
      const runs = raw.memory.filter((x) => x.task === task);
      if (runs.length === 0) continue;
      const success = (cell: Cell, seed: number, lag: number) =>
        runs.find((x) => x.cell === cell && x.seed === seed && x.lag === lag)!.result.success;
      const v = perSeed(m.seeds, (cell, seed) => mean(m.lags.map((lag) => success(cell, seed, lag))));
      const shortest = m.lags[0];
      const atShortest = (cell: Cell) => mean(m.seeds.map((s) => success(cell, s, shortest)));
      const failing = (['gru', 'lstm'] as const).filter((c) => atShortest(c) < 0.95);
      rows.push({
        claim: 'memory',
        label: TASK_LABEL[task],
        experiment: `${TASK_LABEL[task]}, lags ${m.lags.join(', ')}, ${m.updates} updates of ${m.batchSize}, equal parameters`,
        measure: 'success rate averaged over the lags',
        favours: 'lstm',
        higherIsBetter: true,
        margin: 0.05,
        scale: 'linear',
        unit: '',
        gru: v.gru,
        lstm: v.lstm,
        units: 'seeds',
        invalid: failing.length
          ? `at the shortest lag (${shortest}) ${failing.map((c) => `${c.toUpperCase()} succeeds on ${(atShortest(c) * 100).toFixed(1)}%`).join(' and ')} of sequences, below the 95% that shows the task is learnable in this budget`
          : null,
        command: commandFor('memory', full),
      });
    }
  }
  if (raw.expressive) {
    const e = plan.expressive;
    const runs = raw.expressive;
    const v = perSeed(e.seeds, (cell, seed) => runs.find((x) => x.cell === cell && x.seed === seed)!.result.exactUpTo);
    const failing = (['gru', 'lstm'] as const)
      .map((c) => ({ c, bad: e.seeds.filter((_s, i) => v[c][i] < e.trainMaxN) }))
      .filter((x) => x.bad.length > 0);
    rows.push({
      claim: 'expressive',
      label: 'aⁿbⁿ counting',
      experiment: `aⁿbⁿ next-symbol prediction, trained on n ≤ ${e.trainMaxN} (${e.updates} updates), tested n ≤ ${e.testMaxN}, equal parameters`,
      measure: `largest n ≤ ${e.testMaxN} with every n' ≤ n exact`,
      favours: 'lstm',
      higherIsBetter: true,
      margin: 10,
      scale: 'linear',
      unit: 'n',
      gru: v.gru,
      lstm: v.lstm,
      units: 'seeds',
      invalid: failing.length
        ? `${failing.map((f) => `${f.c.toUpperCase()} is not exact on every trained n ≤ ${e.trainMaxN} (seed ${f.bad.join(', ')})`).join('; ')}`
        : null,
      command: commandFor('expressive', full),
    });
  }
  if (raw.smallData) {
    const d = plan.smallData;
    const runs = raw.smallData;
    const smallest = Math.min(...runs.map((x) => x.size));
    const largest = Math.max(...runs.map((x) => x.size));
    const at = (size: number, cell: Cell, seed: number) => runs.find((x) => x.size === size && x.cell === cell && x.seed === seed)!.result;
    const acc = perSeed(d.seeds, (c, s) => at(smallest, c, s).testAccuracy);
    const gap = perSeed(d.seeds, (c, s) => at(smallest, c, s).gap);
    // Guessing the larger class of the names data scores about 0.6; a cell that does not beat
    // it clearly on all the data did not train.
    const fullAcc = (c: Cell) => mean(d.seeds.map((s) => at(largest, c, s).testAccuracy));
    const weak = (['gru', 'lstm'] as const).filter((c) => fullAcc(c) < 0.7);
    const invalid = weak.length
      ? `on all ${largest} examples ${weak.map((c) => `${c.toUpperCase()} reaches only ${(fullAcc(c) * 100).toFixed(1)}%`).join(' and ')} test accuracy (below 70%): the training did not work`
      : null;
    const exp = `first names → gender, ${smallest} training examples (sweep ${[...new Set(runs.map((x) => x.size))].sort((a, b) => a - b).join(', ')}), no regularisation, equal parameters`;
    rows.push({
      claim: 'small-data',
      label: `accuracy with ${smallest} examples`,
      experiment: exp,
      measure: 'test accuracy',
      favours: 'gru',
      higherIsBetter: true,
      margin: 0.01,
      scale: 'linear',
      unit: '',
      gru: acc.gru,
      lstm: acc.lstm,
      units: 'seeds',
      invalid,
      command: commandFor('small-data', full),
    });
    rows.push({
      claim: 'small-data',
      label: `overfitting with ${smallest} examples`,
      experiment: exp,
      measure: 'validation − training loss (nats)',
      favours: 'gru',
      higherIsBetter: false,
      margin: 0.05,
      scale: 'linear',
      unit: 'nats',
      gru: gap.gru,
      lstm: gap.lstm,
      units: 'seeds',
      invalid,
      command: commandFor('small-data', full),
    });
  }
  if (raw.budget) {
    const b = plan.budget;
    const runs = raw.budget;
    const at = (cell: Cell, seed: number) => runs.find((x) => x.cell === cell && x.seed === seed)!.result;
    // The last three validations, so one noisy evaluation does not decide.
    const final = perSeed(b.seeds, (c, s) => mean(at(c, s).validationAccuracy.slice(-3)));
    const toTarget = perSeed(b.seeds, (c, s) => {
      const r = at(c, s);
      const k = r.validationAccuracy.findIndex((v) => v >= b.target);
      return Math.log(k >= 0 ? r.seconds[k] : b.seconds);
    });
    const exp = `first names → gender, ${b.seconds} s of training per cell, GRU and LSTM side by side, equal parameters`;
    rows.push({
      claim: 'budget',
      label: `quality at ${b.seconds} s`,
      experiment: exp,
      measure: 'validation accuracy at the budget (last 3 validations)',
      favours: 'gru',
      higherIsBetter: true,
      margin: 0.01,
      scale: 'linear',
      unit: '',
      gru: final.gru,
      lstm: final.lstm,
      units: 'seeds',
      invalid: null,
      command: commandFor('budget', full),
    });
    rows.push({
      claim: 'budget',
      label: `time to ${(b.target * 100).toFixed(0)}% validation accuracy`,
      experiment: exp,
      measure: `training seconds to ${(b.target * 100).toFixed(0)}% validation accuracy (the budget when never)`,
      favours: 'gru',
      higherIsBetter: false,
      margin: Math.log(1.1),
      scale: 'log',
      unit: 's',
      gru: toTarget.gru,
      lstm: toTarget.lstm,
      units: 'seeds',
      invalid: null,
      command: commandFor('budget', full),
    });
  }
  if (raw.tasks) {
    for (const t of plan.tasks.ids) {
      const runs = raw.tasks.filter((x) => x.task === t.task);
      if (runs.length === 0) continue;
      const meta = cachedTask(t.task, full).meta;
      const metric = meta.metrics.find((x) => x.name === meta.primaryMetric)!;
      const v = perSeed(plan.tasks.seeds, (c, s) => runs.find((x) => x.cell === c && x.seed === s)!.result.metrics[metric.name]);
      rows.push({
        claim: 'tasks',
        label: `${t.use} → ${t.favours.toUpperCase()}`,
        experiment: `${meta.dataset}: ${meta.task}, the per-task comparison at equal parameters, ${runs[0].result.epochs} epochs`,
        measure: `test ${metric.label}`,
        favours: t.favours,
        higherIsBetter: metric.higherIsBetter,
        margin: t.margin,
        scale: 'linear',
        unit: '',
        gru: v.gru,
        lstm: v.lstm,
        units: 'seeds',
        invalid: null,
        command: `${commandFor('tasks', full)}   (or: npx gatedrnn compare --task ${t.task} --match params${t.epochs ? ` --epochs ${t.epochs}` : ''}${full ? ' --full' : ''})`,
      });
    }
  }
  return rows;
}

/**
 * Verdicts with Holm's correction across every valid row: supported or contradicted when the
 * difference is significant in or against the claimed direction, equivalent when two one-sided
 * tests put it inside the margin, else inconclusive with the seeds that would settle it.
 */
export function judge(rows: ClaimRow[]): ClaimRow[] {
  const valid = rows.filter((r) => r.invalid === null);
  const evidence = valid.map((r) => pairedDifference(r.gru, r.lstm));
  const decisions = decideAll(
    valid.map((r, i) => ({ evidence: evidence[i], options: { margin: r.margin, higherIsBetter: r.higherIsBetter } })),
  );
  valid.forEach((r, i) => {
    const d = decisions[i];
    r.evidence = evidence[i];
    r.decision = d;
    const winner: Cell | null = d.decision === 'a' ? 'gru' : d.decision === 'b' ? 'lstm' : null;
    r.verdict = winner
      ? winner === r.favours
        ? 'supported'
        : 'contradicted'
      : d.decision === 'equivalent'
        ? 'equivalent'
        : 'inconclusive';
    r.seedsNeeded = r.verdict === 'inconclusive' ? d.unitsNeeded : null;
  });
  for (const r of rows) if (r.invalid !== null) r.verdict = 'invalid';
  return rows;
}
