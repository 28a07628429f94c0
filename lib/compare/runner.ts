// The comparison loop: for each task, GRU and LSTM with the same architecture, N seeds each,
// measured by an injected trainer (the models live in model/ and train/; this file only
// orchestrates, so it can be tested with a fake trainer).
import * as os from 'os';
import { TaskSpec } from '../tasks';
import { Cell } from '../tasks';
import { matchUnitsBy } from './params';
import { CellResult, ComparisonResults, MachineInfo, RunResult, RunSettings, TaskResult } from './results';

/** What one model of one task is built and trained with. */
export interface CellSpec {
  cell: Cell;
  units: number;
  layers: number;
  epochs: number;
  batchSize: number;
  embeddingSize?: number;
  /** Stop training after this many seconds (then measure as usual); null for no limit. */
  budgetSeconds: number | null;
}

export interface TrainHooks {
  /** Called by the trainer after each epoch (1-based), for the progress bar. */
  onEpoch(epoch: number, logs?: { loss?: number; valLoss?: number }): void;
}

/**
 * Trains `cell` on `task` with `seed` and measures it: test metrics (task.score), learning curve,
 * parameter count, speed and memory. The seed must fix every random choice of the model.
 */
export type TrainAndMeasure = (task: TaskSpec, cell: CellSpec, seed: number, hooks: TrainHooks) => Promise<Omit<RunResult, 'seed'>>;

/** The two cells of a task under the settings: same layers, units equal or matched by params. */
export function cellSpecs(task: TaskSpec, settings: RunSettings): Record<Cell, CellSpec> {
  const units = settings.units ?? task.defaults.units;
  const layers = settings.layers ?? task.defaults.layers;
  const matched = settings.match === 'params' ? matchUnitsBy(units, (cell, u) => task.paramCount({ cell, units: u, layers, embeddingSize: task.defaults.embeddingSize }), 'lstm') : { gru: units, lstm: units };
  const base = { layers, epochs: settings.epochs ?? task.defaults.epochs, batchSize: task.defaults.batchSize, embeddingSize: task.defaults.embeddingSize, budgetSeconds: settings.budgetSeconds };
  return { gru: { cell: 'gru', units: matched.gru, ...base }, lstm: { cell: 'lstm', units: matched.lstm, ...base } };
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return { platform: process.platform, arch: process.arch, cpuModel: cpus[0]?.model?.trim() ?? 'unknown CPU', cpus: cpus.length, node: process.versions.node };
}

export interface RunEvents {
  /** Before each model: index counts models done so far, of total. */
  onModelStart?(info: { task: TaskSpec; cell: CellSpec; seed: number; index: number; total: number }): void;
  onEpoch?(info: { task: TaskSpec; cell: CellSpec; seed: number; epoch: number }): void;
  onModelEnd?(info: { task: TaskSpec; cell: CellSpec; seed: number; result: RunResult }): void;
}

export interface RunComparisonOptions {
  tasks: readonly TaskSpec[];
  settings: RunSettings;
  trainAndMeasure: TrainAndMeasure;
  events?: RunEvents;
  machine?: MachineInfo;
  now?: () => Date;
}

/**
 * Runs every task. Per seed the GRU and the LSTM train back to back, so slow drift of the
 * machine (heat, other load) touches both cells alike rather than all of one cell.
 */
export async function runComparison(options: RunComparisonOptions): Promise<ComparisonResults> {
  const { tasks, settings, trainAndMeasure, events = {} } = options;
  const total = tasks.length * settings.seeds.length * 2;
  let index = 0;
  const out: TaskResult[] = [];
  for (const task of tasks) {
    const specs = cellSpecs(task, settings);
    const cells: Record<Cell, CellResult> = {
      gru: { cell: 'gru', units: specs.gru.units, layers: specs.gru.layers, params: 0, runs: [] },
      lstm: { cell: 'lstm', units: specs.lstm.units, layers: specs.lstm.layers, params: 0, runs: [] },
    };
    for (const seed of settings.seeds) {
      for (const cell of ['gru', 'lstm'] as const) {
        const spec = specs[cell];
        events.onModelStart?.({ task, cell: spec, seed, index, total });
        const measured = await trainAndMeasure(task, spec, seed, { onEpoch: (epoch) => events.onEpoch?.({ task, cell: spec, seed, epoch }) });
        const result: RunResult = { ...measured, seed };
        cells[cell].runs.push(result);
        cells[cell].params = result.params;
        index++;
        events.onModelEnd?.({ task, cell: spec, seed, result });
      }
    }
    out.push({ meta: task.meta, cells, baselines: task.baselines });
  }
  return { version: 1, createdAt: (options.now?.() ?? new Date()).toISOString(), machine: options.machine ?? machineInfo(), settings, tasks: out };
}
