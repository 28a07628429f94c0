// The claims experiments, one job at a time: each job trains or times small GRU/LSTM models with
// the library's own sequential API and returns plain numbers (JSON), so a job can run in a child
// process. Which jobs run, and what their numbers mean for a claim, is decided in compare/.
import { loadNames } from '../../data/names';
import { layers } from '../../layers';
import { sequential, type Sequential } from '../../model/sequential';
import { Tensor } from '../../tensor';
import { optimizers } from '../../train/optimizers';
import { addingProblem, anbnBatch, anbnExact, ANBN, copyTask, delayedRecall } from './generators';
import { Rng } from '../../train/rng';
import { type Cell, recurrentLayer as recurrent, type StackShape } from '../cells';

const adam = (learningRate: number) => optimizers.adam({ learningRate, clipNorm: 1 });

function argmax(row: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (row[offset + k] > row[offset + best]) best = k;
  return best;
}

// ---------------------------------------------------------------------------------------------
// memory: success against lag

export type LagTask = 'recall' | 'adding' | 'copy';

export interface LagJob {
  kind: 'lag';
  task: LagTask;
  lag: number;
  cell: Cell;
  units: number;
  seed: number;
  /** Optimizer updates, each on a fresh batch. */
  updates: number;
  batchSize: number;
  learningRate: number;
  testCount: number;
}

export interface LagResult {
  /** Share of test sequences answered right (recall: the class; adding: within ±0.04 of the sum; copy: every symbol). */
  success: number;
  /** Test loss (cross-entropy or MSE). */
  testLoss: number;
  params: number;
}

/** |prediction − sum| below this counts as solved for one adding-problem sequence. */
export const ADDING_TOLERANCE = 0.04;

/** Symbols of the recall and copy tasks, and the embedding width they enter the recurrent layer by. */
const LAG_ALPHABET = 8;
const LAG_EMBEDDING = 8;

/** Each lag task's recurrent stack and head as lagModel builds it, for matching units by parameters. */
export const LAG_SHAPES: Readonly<Record<LagTask, StackShape>> = {
  recall: { inputSize: LAG_EMBEDDING, layers: 1, headOutputs: LAG_ALPHABET },
  adding: { inputSize: 2, layers: 1, headOutputs: 1 },
  copy: { inputSize: LAG_EMBEDDING, layers: 1, headOutputs: LAG_ALPHABET + 1 },
};

function lagModel(job: LagJob): {
  model: Sequential;
  data: (count: number, seed: number) => { x: Tensor<'int32' | 'float32'>; y: Tensor<'int32' | 'float32'> };
} {
  const name = `${job.task}-${job.cell}`;
  switch (job.task) {
    case 'recall': {
      const k = LAG_ALPHABET;
      const model = sequential(
        [
          layers.embedding({ inputDim: k + 1, outputDim: LAG_EMBEDDING }),
          recurrent(job.cell, job.units, false),
          layers.dense({ units: k, activation: 'softmax' }),
        ],
        { name, seed: job.seed },
      );
      model.build([job.lag + 1]);
      model.compile({ optimizer: adam(job.learningRate), loss: 'sparseCategoricalCrossentropy' });
      return { model, data: (n, s) => delayedRecall(n, job.lag, s, k) };
    }
    case 'adding': {
      const model = sequential([recurrent(job.cell, job.units, false), layers.dense({ units: 1 })], { name, seed: job.seed });
      model.build([job.lag, 2]);
      model.compile({ optimizer: adam(job.learningRate), loss: 'mse' });
      return { model, data: (n, s) => addingProblem(n, job.lag, s) };
    }
    case 'copy': {
      const k = LAG_ALPHABET;
      const model = sequential(
        [
          layers.embedding({ inputDim: k + 2, outputDim: LAG_EMBEDDING }),
          recurrent(job.cell, job.units, true),
          layers.dense({ units: k + 1, activation: 'softmax' }),
        ],
        { name, seed: job.seed },
      );
      model.build([20 + job.lag + 1]);
      model.compile({ optimizer: adam(job.learningRate), loss: 'sparseCategoricalCrossentropy' });
      return { model, data: (n, s) => copyTask(n, job.lag, s, { symbols: 10, alphabet: k }) };
    }
  }
}

function lagSuccess(task: LagTask, lag: number, pred: Float32Array, y: Tensor<'int32' | 'float32'>): number {
  const n = y.dims[0];
  let ok = 0;
  if (task === 'recall') {
    const k = pred.length / n;
    for (let i = 0; i < n; i++) if (argmax(pred, i * k, k) === y.data[i]) ok++;
  } else if (task === 'adding') {
    for (let i = 0; i < n; i++) if (Math.abs(pred[i] - (y.data[i] as number)) < ADDING_TOLERANCE) ok++;
  } else {
    const len = y.dims[1];
    const k = pred.length / (n * len);
    const start = 10 + lag + 1;
    for (let i = 0; i < n; i++) {
      let all = true;
      for (let t = start; t < len && all; t++) all = argmax(pred, (i * len + t) * k, k) === y.data[i * len + t];
      if (all) ok++;
    }
  }
  return ok / n;
}

/** Trains on `updates` fresh batches and scores fresh test sequences (a seed of its own). */
export async function runLagJob(job: LagJob): Promise<LagResult> {
  const { model, data } = lagModel(job);
  try {
    const train = data(job.updates * job.batchSize, job.seed * 7919 + job.lag);
    await model.fit(train.x, train.y, { epochs: 1, batchSize: job.batchSize, seed: job.seed, shuffle: false, verbose: 0 });
    const test = data(job.testCount, 1_000_003 + job.seed * 7919 + job.lag);
    const pred = (await model.predict(test.x, { batchSize: 256 })).data;
    const testLoss = (await model.evaluate(test.x, test.y, { batchSize: 256 })).loss;
    return { success: lagSuccess(job.task, job.lag, pred, test.y), testLoss, params: model.params.reduce((a, p) => a + p.value.length, 0) };
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// expressive: aⁿbⁿ

export interface AnbnJob {
  kind: 'anbn';
  cell: Cell;
  units: number;
  seed: number;
  updates: number;
  batchSize: number;
  learningRate: number;
  /** Training strings have n from 1 to trainMaxN. */
  trainMaxN: number;
  /** Strings are tested for every n from 1 to testMaxN. */
  testMaxN: number;
}

export interface AnbnResult {
  /** Per n = 1..testMaxN: whether every prediction was a legal continuation. */
  exact: boolean[];
  /** The largest n such that every n' ≤ n is exact (0 when n = 1 fails). */
  exactUpTo: number;
  params: number;
}

const ANBN_EMBEDDING = 4;

/** The aⁿbⁿ model's recurrent stack and head, for matching units by parameters. */
export const ANBN_SHAPE: StackShape = { inputSize: ANBN_EMBEDDING, layers: 1, headOutputs: ANBN.classes };

function anbnModel(cell: Cell, units: number, steps: number, seed: number): Sequential {
  const m = sequential(
    [
      layers.embedding({ inputDim: 3, outputDim: ANBN_EMBEDDING, maskZero: true }),
      recurrent(cell, units, true),
      layers.dense({ units: ANBN.classes, activation: 'softmax' }),
    ],
    { name: `anbn-${cell}`, seed },
  );
  m.build([steps]);
  return m;
}

/** Trains on aⁿbⁿ with n ≤ trainMaxN, then tests every n up to testMaxN with the same weights. */
export async function runAnbnJob(job: AnbnJob): Promise<AnbnResult> {
  const model = anbnModel(job.cell, job.units, 2 * job.trainMaxN, job.seed);
  const tester = anbnModel(job.cell, job.units, 2 * job.testMaxN, job.seed);
  try {
    model.compile({ optimizer: adam(job.learningRate), loss: 'sparseCategoricalCrossentropy' });
    const rng = new Rng(job.seed * 104729 + 17);
    const ns = Array.from({ length: job.updates * job.batchSize }, () => 1 + Math.floor(rng.next() * job.trainMaxN));
    const train = anbnBatch(ns, job.trainMaxN);
    await model.fit(train.x, train.y, { epochs: 1, batchSize: job.batchSize, seed: job.seed, shuffle: false, verbose: 0 });
    tester.setWeights(model.getWeights());
    const all = Array.from({ length: job.testMaxN }, (_, i) => i + 1);
    const test = anbnBatch(all, job.testMaxN);
    const probs = (await tester.predict(test.x, { batchSize: 128 })).data;
    const row = 2 * job.testMaxN * ANBN.classes;
    const exact = all.map((n, i) => anbnExact(probs.subarray(i * row, (i + 1) * row), n));
    let exactUpTo = 0;
    while (exactUpTo < exact.length && exact[exactUpTo]) exactUpTo++;
    return { exact, exactUpTo, params: model.params.reduce((a, p) => a + p.value.length, 0) };
  } finally {
    model.dispose();
    tester.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// small-data and budget: the first-names task (gender from spelling)

type NamesData = ReturnType<typeof loadNames>;
let namesCache: NamesData | null = null;
const names = (): NamesData => (namesCache ??= loadNames());

const NAMES_EMBEDDING = 16;

/** The names model's recurrent stack and head (two classes: the gender), for matching units by parameters. */
export const NAMES_SHAPE: StackShape = { inputSize: NAMES_EMBEDDING, layers: 1, headOutputs: 2 };

function namesModel(cell: Cell, units: number, seed: number, learningRate: number): Sequential {
  const d = names();
  const m = sequential(
    [
      layers.embedding({ inputDim: d.vocabulary.tokens.length, outputDim: NAMES_EMBEDDING }),
      recurrent(cell, units, false),
      layers.dense({ units: d.classes.length, activation: 'softmax' }),
    ],
    { name: `names-${cell}`, seed },
  );
  m.build([d.sequenceLength]);
  m.compile({ optimizer: adam(learningRate), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** The first `count` rows of a split, in a seeded order (the same subset for both cells of a seed). */
function subset(x: Tensor<'int32'>, y: Tensor<'int32'>, count: number, seed: number): { x: Tensor<'int32'>; y: Tensor<'int32'> } {
  const n = y.dims[0];
  const order = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(seed).shuffle(order);
  const t = x.dims[1];
  const c = Math.min(count, n);
  const xs = new Int32Array(c * t);
  const ys = new Int32Array(c);
  for (let i = 0; i < c; i++) {
    xs.set(x.data.subarray(order[i] * t, order[i] * t + t), i * t);
    ys[i] = y.data[order[i]];
  }
  return { x: new Tensor('int32', xs, [c, t]), y: new Tensor('int32', ys, [c]) };
}

export interface DataSizeJob {
  kind: 'datasize';
  cell: Cell;
  units: number;
  seed: number;
  /** Training examples (capped at the split's size). */
  size: number;
  /** Optimizer updates; at least `minEpochs` epochs run whatever the size. */
  updates: number;
  minEpochs: number;
  batchSize: number;
  learningRate: number;
}

export interface DataSizeResult {
  size: number;
  epochs: number;
  testAccuracy: number;
  trainLoss: number;
  validationLoss: number;
  /** validationLoss − trainLoss, both measured after training (no dropout, no early stopping). */
  gap: number;
  params: number;
}

/** Trains without regularisation on `size` examples and scores the last weights. */
export async function runDataSizeJob(job: DataSizeJob): Promise<DataSizeResult> {
  const d = names();
  const model = namesModel(job.cell, job.units, job.seed, job.learningRate);
  try {
    const train = subset(d.train.x, d.train.y, job.size, job.seed);
    const n = train.y.dims[0];
    const epochs = Math.max(job.minEpochs, Math.ceil((job.updates * job.batchSize) / n));
    await model.fit(train.x, train.y, { epochs, batchSize: job.batchSize, seed: job.seed, verbose: 0 });
    const trainLoss = (await model.evaluate(train.x, train.y, { batchSize: 512 })).loss;
    const validationLoss = (await model.evaluate(d.validation.x, d.validation.y, { batchSize: 512 })).loss;
    const testAccuracy = (await model.evaluate(d.test.x, d.test.y, { batchSize: 512 })).accuracy;
    return {
      size: n,
      epochs,
      testAccuracy,
      trainLoss,
      validationLoss,
      gap: validationLoss - trainLoss,
      params: model.params.reduce((a, p) => a + p.value.length, 0),
    };
  } finally {
    model.dispose();
  }
}

export interface BudgetJob {
  kind: 'budget';
  cell: Cell;
  units: number;
  seed: number;
  /** Training seconds (the clock stops while validating). */
  seconds: number;
  /** Batches between validations. */
  every: number;
  batchSize: number;
  learningRate: number;
}

export interface BudgetResult {
  /** Training seconds at each validation. */
  seconds: number[];
  validationAccuracy: number[];
  /** Validation accuracy at the end of the budget. */
  final: number;
  updates: number;
  params: number;
}

/** Trains in slices of `every` batches until the budget is spent, validating after each slice. */
export async function runBudgetJob(job: BudgetJob): Promise<BudgetResult> {
  const d = names();
  const model = namesModel(job.cell, job.units, job.seed, job.learningRate);
  try {
    const n = d.train.y.dims[0];
    const rng = new Rng(job.seed);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const t = d.train.x.dims[1];
    const slice = job.every * job.batchSize;
    const xs = new Int32Array(slice * t);
    const ys = new Int32Array(slice);
    let pos = n;
    let trained = 0;
    let updates = 0;
    const seconds: number[] = [];
    const validationAccuracy: number[] = [];
    while (trained < job.seconds * 1000) {
      for (let i = 0; i < slice; i++) {
        if (pos === n) {
          rng.shuffle(order);
          pos = 0;
        }
        const r = order[pos++];
        xs.set(d.train.x.data.subarray(r * t, r * t + t), i * t);
        ys[i] = d.train.y.data[r];
      }
      const t0 = performance.now();
      await model.fit(new Tensor('int32', xs, [slice, t]), new Tensor('int32', ys, [slice]), {
        epochs: 1,
        batchSize: job.batchSize,
        shuffle: false,
        verbose: 0,
      });
      trained += performance.now() - t0;
      updates += job.every;
      seconds.push(trained / 1000);
      validationAccuracy.push((await model.evaluate(d.validation.x, d.validation.y, { batchSize: 512 })).accuracy);
    }
    return {
      seconds,
      validationAccuracy,
      final: validationAccuracy[validationAccuracy.length - 1],
      updates,
      params: model.params.reduce((a, p) => a + p.value.length, 0),
    };
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// speed: training step and inference time, interleaved

export interface SpeedConfig {
  /** The nominal hidden size H of the configuration. */
  hidden: number;
  batch: number;
  match: 'units' | 'params';
  units: Record<Cell, number>;
}

export interface SpeedJob {
  kind: 'speed';
  configs: SpeedConfig[];
  steps: number;
  inputSize: number;
  /** Rounds; in each, every configuration times both cells, in alternating order. */
  rounds: number;
  /** Minimum timed milliseconds per measurement (at least one call). */
  minMs: number;
}

/** The timed model's recurrent layer and head for `inputSize` features, for matching units by parameters. */
export const speedShape = (inputSize: number): StackShape => ({ inputSize, layers: 1, headOutputs: 1 });

export interface SpeedResult {
  /** [config][round]: forward + backward milliseconds per sample. */
  trainMs: Record<Cell, number[][]>;
  /** [config][round]: inference milliseconds per call at this batch size. */
  inferMs: Record<Cell, number[][]>;
  params: Record<Cell, number[]>;
}

async function timeIt(run: () => Promise<unknown>, minMs: number): Promise<number> {
  await run();
  let calls = 0;
  const t0 = performance.now();
  do {
    await run();
    calls++;
  } while (performance.now() - t0 < minMs);
  return (performance.now() - t0) / calls;
}

/** Times every configuration, GRU and LSTM back to back, first one then the other in turn. */
export async function runSpeedJob(job: SpeedJob): Promise<SpeedResult> {
  const cells: Cell[] = ['gru', 'lstm'];
  const out: SpeedResult = { trainMs: { gru: [], lstm: [] }, inferMs: { gru: [], lstm: [] }, params: { gru: [], lstm: [] } };
  const rng = new Rng(12345);
  for (const [ci, c] of job.configs.entries()) {
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: c.batch * job.steps * job.inputSize }, () => rng.next() - 0.5),
      [c.batch, job.steps, job.inputSize],
    );
    const y = new Tensor(
      'float32',
      Float32Array.from({ length: c.batch }, () => rng.next()),
      [c.batch, 1],
    );
    const models = {} as Record<Cell, Sequential>;
    for (const cell of cells) {
      const m = sequential([recurrent(cell, c.units[cell], false), layers.dense({ units: 1 })], { seed: 1 });
      m.build([job.steps, job.inputSize]);
      m.compile({ optimizer: optimizers.sgd({ learningRate: 1e-4 }), loss: 'mse' });
      models[cell] = m;
      out.params[cell].push(m.params.reduce((a, p) => a + p.value.length, 0));
      out.trainMs[cell].push([]);
      out.inferMs[cell].push([]);
    }
    try {
      for (let r = 0; r < job.rounds; r++) {
        for (const cell of r % 2 === 0 ? cells : [...cells].reverse()) {
          const m = models[cell];
          const train = await timeIt(() => m.fit(x, y, { epochs: 1, batchSize: c.batch, shuffle: false, verbose: 0 }), job.minMs);
          const infer = await timeIt(() => m.predict(x, { batchSize: c.batch }), job.minMs);
          out.trainMs[cell][ci].push(train / c.batch);
          out.inferMs[cell][ci].push(infer);
        }
      }
    } finally {
      for (const cell of cells) models[cell].dispose();
    }
  }
  return out;
}
