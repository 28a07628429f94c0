// The comparison loop: for each task, GRU and LSTM (and, with settings.cells, the plain tanh RNN
// as their control) with the same architecture, N seeds each,
// trained by an injected trainer (the models live in tasks/, model/ and train/; this file only
// orchestrates, so it can be tested with a fake trainer).
//
// Fairness: each cell picks its own learning rate from the task's grid on the first seed, by
// validation loss alone; the cell that trains first alternates by seed; the test split is read
// once per final model; and inference of the two cells is timed interleaved, after both trained.
//
// Units: a run is a list of (task, seed) units, task-major, and a shard runs every N-th of them
// (see docs/compare.md). A unit trains every cell on its seed. The first seed's unit also tries
// the learning-rate grid and times the first seed's models interleaved; any other unit whose
// shard did not run the first seed retrains the grid on the first seed to learn the choice (the
// trainer is deterministic given task, cell, seed and rate), so no unit depends on another's
// output and a merged run equals one run.
import { type Cell, CELLS, learningRatesOf, type ModelCell, type TaskSpec } from '../tasks';
import { machineInfo, packageVersion } from './machine';
import { type InterleaveOptions, interleavedTiming } from './measure';
import { matchUnitsBy } from './params';
import type {
  CellResult,
  ComparisonResults,
  MachineInfo,
  RunResult,
  RunSettings,
  RunUnit,
  ShardSpec,
  TaskCosts,
  TaskResult,
  TuningTrial,
} from './results';
import type { CellSpec, TrainAndMeasure, TrainedModel } from './trainer';
import { ratioInterval } from './verdict';

export type { CellSpec, InferenceModel, TrainAndMeasure, TrainedModel, TrainHooks } from './trainer';
export { machineInfo, packageVersion } from './machine';

/** The cells a run trains on every task: settings.cells, or GRU and LSTM. */
export function runCells(settings: RunSettings): readonly ModelCell[] {
  return settings.cells ?? CELLS;
}

/**
 * The cells of a task under the settings: same layers, units equal or matched by params (the
 * GRU's and, when it runs, the plain RNN's to the LSTM's count).
 */
export function cellSpecs(task: TaskSpec, settings: RunSettings): Record<Cell, CellSpec> & { rnn?: CellSpec } {
  const units = settings.units ?? task.defaults.units;
  const layers = settings.layers ?? task.defaults.layers;
  const embeddingSize = task.defaults.embeddingSize;
  const matched =
    settings.match === 'params'
      ? matchUnitsBy(units, (cell, u) => task.paramCount({ cell, units: u, layers, embeddingSize }), 'lstm')
      : { gru: units, lstm: units };
  const base = {
    layers,
    epochs: settings.epochs ?? task.defaults.epochs,
    batchSize: task.defaults.batchSize,
    embeddingSize,
    budgetSeconds: settings.budgetSeconds ?? task.defaults.budgetSeconds ?? null,
    ...(task.defaults.patience !== undefined ? { patience: task.defaults.patience } : {}),
  };
  const specs: Record<Cell, CellSpec> & { rnn?: CellSpec } = {
    gru: { cell: 'gru', units: matched.gru, ...base },
    lstm: { cell: 'lstm', units: matched.lstm, ...base },
  };
  if (runCells(settings).includes('rnn')) {
    let rnnUnits = units;
    if (settings.match === 'params') {
      const count = (cell: ModelCell, u: number) => task.paramCount({ cell, units: u, layers, embeddingSize });
      const target = count('lstm', units);
      let gap = Infinity;
      for (let u = 1; u <= 8 * units; u++) {
        const g = Math.abs(count('rnn', u) - target);
        if (g < gap) [rnnUnits, gap] = [u, g];
      }
    }
    specs.rnn = { cell: 'rnn', units: rnnUnits, ...base };
  }
  return specs;
}

/** The run's units in their fixed order (task-major, then seed), each with its shard's mark. */
export function runUnits(taskIds: readonly string[], settings: RunSettings, shard?: ShardSpec): (RunUnit & { mine: boolean })[] {
  const units = taskIds.flatMap((task) => settings.seeds.map((seed) => ({ task, seed })));
  return units.map((u, i) => ({ ...u, mine: shard === undefined || i % shard.count === shard.index - 1 }));
}

export interface RunEvents {
  /** Before each model trains: index counts models done so far, of total (tuning trials included). */
  onModelStart?(info: { task: TaskSpec; cell: CellSpec; seed: number; index: number; total: number }): void;
  onEpoch?(info: { task: TaskSpec; cell: CellSpec; seed: number; epoch: number }): void;
  onModelEnd?(info: { task: TaskSpec; cell: CellSpec; seed: number; result?: RunResult }): void;
  /** While the two cells' inference is timed. */
  onTiming?(info: { task: TaskSpec }): void;
}

export interface RunComparisonOptions {
  tasks: readonly TaskSpec[];
  settings: RunSettings;
  trainAndMeasure: TrainAndMeasure;
  events?: RunEvents;
  machine?: MachineInfo;
  now?: () => Date;
  /** Interleaved inference timing; false skips it (no latency or batch-64 costs). */
  timing?: InterleaveOptions | false;
  /** Run only this shard's units; the results then record which units ran. */
  shard?: ShardSpec;
}

/**
 * Models a run (or one shard) trains: every seed of every cell, plus the other learning rates of
 * the tuning seed; a shard without a task's first seed retrains the whole grid on it.
 */
export function modelCount(tasks: readonly TaskSpec[], settings: RunSettings, shard?: ShardSpec): number {
  const units = runUnits(
    tasks.map((t) => t.meta.id),
    settings,
    shard,
  );
  return tasks.reduce((n, t) => {
    const mine = units.filter((u) => u.task === t.meta.id && u.mine);
    const grid = learningRatesOf(t.defaults).length;
    if (mine.length === 0) return n;
    const tuning = grid <= 1 ? 0 : mine[0].seed === settings.seeds[0] ? grid - 1 : grid;
    return n + runCells(settings).length * (mine.length + tuning);
  }, 0);
}

/** The costs that come from the training runs: seconds per epoch (every epoch) and memory (first seed). */
export function trainingCosts(cells: Record<Cell, CellResult>): TaskCosts {
  const costs: TaskCosts = {};
  const epochs = (c: Cell) => cells[c].runs.flatMap((r) => r.epochSeconds ?? []).filter((s) => s > 0);
  const ge = epochs('gru');
  const le = epochs('lstm');
  if (ge.length >= 2 && le.length >= 2) {
    const r = ratioInterval(ge, le, { paired: false });
    costs.trainTime = { ratio: r.ratio, low: r.low, high: r.high, n: Math.min(ge.length, le.length) };
  }
  const mem = (c: Cell) => cells[c].runs[0]?.memory?.total;
  const gm = mem('gru');
  const lm = mem('lstm');
  if (gm !== undefined && lm !== undefined && lm > 0) costs.memory = { ratio: gm / lm, gruBytes: gm, lstmBytes: lm };
  return costs;
}

async function timeCosts(
  kept: Record<Cell, TrainedModel>,
  cells: Record<Cell, CellResult>,
  timing: InterleaveOptions | false,
): Promise<TaskCosts> {
  const costs = trainingCosts(cells);
  if (timing === false) return costs;
  const gru = kept.gru.rebuild();
  const lstm = kept.lstm.rebuild();
  try {
    for (const [key, batch] of [
      ['latency', 1],
      ['batch64', 64],
    ] as const) {
      const t = await interleavedTiming(gru.infer(batch), lstm.infer(batch), timing);
      if (Number.isFinite(t.ratio)) costs[key] = { ratio: t.ratio, low: t.low, high: t.high, n: t.n, gruMs: t.aMs, lstmMs: t.bMs };
    }
  } finally {
    gru.dispose();
    lstm.dispose();
  }
  return costs;
}

/** Runs every task; see the file comment for what keeps the two cells' treatment equal. */
export async function runComparison(options: RunComparisonOptions): Promise<ComparisonResults> {
  const { tasks, settings, trainAndMeasure, events = {}, timing = {}, shard } = options;
  const total = modelCount(tasks, settings, shard);
  const units = runUnits(
    tasks.map((t) => t.meta.id),
    settings,
    shard,
  );
  let index = 0;
  const out: TaskResult[] = [];
  for (const task of tasks) {
    const specs = cellSpecs(task, settings);
    const grid = learningRatesOf(task.defaults);
    const cells: Record<Cell, CellResult> & { rnn?: CellResult } = {
      gru: { cell: 'gru', units: specs.gru.units, layers: specs.gru.layers, params: 0, runs: [] },
      lstm: { cell: 'lstm', units: specs.lstm.units, layers: specs.lstm.layers, params: 0, runs: [] },
    };
    if (specs.rnn) cells.rnn = { cell: 'rnn', units: specs.rnn.units, layers: specs.rnn.layers, params: 0, runs: [] };
    const runList = runCells(settings);
    const chosen: Partial<Record<ModelCell, number>> = {};
    const kept: Partial<Record<Cell, TrainedModel>> = {};
    try {
      for (const [s, seed] of settings.seeds.entries()) {
        if (!units.find((u) => u.task === task.meta.id && u.seed === seed)!.mine) continue;
        const order = s % 2 === 0 ? runList : [...runList].reverse();
        for (const cell of order) {
          const train = async (learningRate: number, trainSeed = seed): Promise<TrainedModel> => {
            const spec = { ...specs[cell]!, learningRate };
            events.onModelStart?.({ task, cell: spec, seed: trainSeed, index, total });
            const trained = await trainAndMeasure(task, spec, trainSeed, {
              onEpoch: (epoch) => events.onEpoch?.({ task, cell: spec, seed: trainSeed, epoch }),
            });
            index++;
            return trained;
          };
          let trained: TrainedModel;
          let tuning: TuningTrial[] | undefined;
          if (chosen[cell] === undefined && grid.length > 1 && s > 0) {
            // This shard did not run the first seed: the same trials on it give the same choice.
            let best: { lr: number; loss: number } | undefined;
            for (const lr of grid) {
              const model = await train(lr, settings.seeds[0]);
              if (best === undefined || model.bestValLoss < best.loss) best = { lr, loss: model.bestValLoss };
              model.dispose();
            }
            chosen[cell] = best!.lr;
          }
          if (chosen[cell] === undefined && grid.length > 1) {
            // The tuning seed: every learning rate trains; validation loss alone picks one, and
            // the winner is this seed's final model.
            const trials: { lr: number; model: TrainedModel }[] = [];
            for (const lr of grid) trials.push({ lr, model: await train(lr) });
            const best = trials.reduce((a, b) => (b.model.bestValLoss < a.model.bestValLoss ? b : a));
            tuning = trials.map((t) => ({
              learningRate: t.lr,
              bestValLoss: t.model.bestValLoss,
              bestEpoch: t.model.training.bestEpoch ?? 0,
            }));
            for (const t of trials) if (t !== best) t.model.dispose();
            trained = best.model;
            chosen[cell] = best.lr;
          } else {
            chosen[cell] ??= grid[0];
            trained = await train(chosen[cell]!);
          }
          const scores = await trained.test();
          const result: RunResult = {
            ...trained.training,
            seed,
            metrics: scores.metrics,
            items: scores.items,
            learningRate: chosen[cell],
            ...(tuning ? { tuning } : {}),
          };
          cells[cell]!.runs.push(result);
          cells[cell]!.params = result.params;
          // Only the gated pair is timed interleaved (the costs); the plain RNN's model goes.
          if (cell !== 'rnn' && s === 0) kept[cell] = trained;
          else trained.dispose();
          events.onModelEnd?.({ task, cell: specs[cell]!, seed, result });
        }
      }
      // Runs are listed by seed whichever cell trained first.
      for (const c of runList) cells[c]!.runs.sort((a, b) => settings.seeds.indexOf(a.seed) - settings.seeds.indexOf(b.seed));
      let costs: TaskCosts | undefined;
      if (kept.gru && kept.lstm) {
        events.onTiming?.({ task });
        costs = await timeCosts(kept as Record<Cell, TrainedModel>, cells, timing);
      } else if (shard) costs = trainingCosts(cells);
      out.push({ meta: task.meta, cells, baselines: task.baselines, ...(costs ? { costs } : {}) });
    } finally {
      for (const c of CELLS) kept[c]?.dispose();
    }
  }
  return {
    version: 2,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    machine: options.machine ?? machineInfo(),
    settings,
    tasks: out,
    package: packageVersion(),
    ...(shard ? { shard: { ...shard, units: units.filter((u) => u.mine).map(({ task, seed }) => ({ task, seed })) } } : {}),
  };
}
