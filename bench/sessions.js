#!/usr/bin/env node

// Whole imported models, gatedrnn's loadOnnx session against onnxruntime-node: each fixture of
// test/fixtures/onnx at (B, T) = (1, 1), (1, 100), (16, 100); the README's text classifier
// exported with toOnnx() at 8 × 20; DTLN's model_1 (a Keras speech-enhancement model with two
// LSTMs and their states as inputs and outputs) one frame per call with its states carried.
// Engines run call by call in a shuffled order in one process, at 1 and 2 threads, gatedrnn's
// session.run and runSync; a row's ratio is onnxruntime's median over gatedrnn's (> 1: gatedrnn
// is faster). Writes bench/sessions.json and the "Imported models" section of bench/RESULTS.md.
//   node bench/sessions.js [--quick] [--threads 1,2] [--calls N] [--dtln PATH]
// DTLN's model_1.onnx is not in the repository (MIT, 1.4 MB): its row is skipped with a message
// unless the file is at --dtln, $GATEDRNN_DTLN_MODEL or bench/models/dtln_model_1.onnx.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { measureRoundRobin, summarize, watchOtherLoad } = require('./measure');
const { ortSessionOptions } = require('./engines');
const { prng } = require('./tensors');

const root = path.join(__dirname, '..');
const SHAPES = [
  [1, 1],
  [1, 100],
  [16, 100],
];

function parseArgs(argv) {
  const o = {
    quick: false,
    threads: [1, 2],
    calls: null,
    dtln: process.env.GATEDRNN_DTLN_MODEL || path.join(__dirname, 'models', 'dtln_model_1.onnx'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--threads') o.threads = argv[++i].split(',').map(Number);
    else if (a === '--calls') o.calls = Number(argv[++i]);
    else if (a === '--dtln') o.dtln = argv[++i];
    else throw new Error(`bench/sessions.js: unknown option ${a}`);
  }
  return o;
}

/** Feeds for a model's declared inputs at batch B and time T: symbolic dims read by their name. */
function fixtureFeeds(ort, session, B, T, rand) {
  const feeds = {};
  for (const m of session.inputMetadata) {
    const dims = m.shape.map((d) => (typeof d === 'number' ? d : /batch|^n$/i.test(String(d)) ? B : T));
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[m.name] =
      m.type === 'int64'
        ? new ort.Tensor(
            'int64',
            BigInt64Array.from({ length: n }, () => BigInt(1 + Math.floor(rand() * 50))),
            dims,
          )
        : new ort.Tensor(
            'float32',
            Float32Array.from({ length: n }, () => rand() * 2 - 1),
            dims,
          );
  }
  return feeds;
}

/** The README's text classifier, exported, with its input: 8 rows of up to 20 token ids, padded after. */
function readmeClassifier(gatedrnn, ort, rand) {
  const { sequential, layers } = gatedrnn;
  const model = sequential(
    [
      layers.embedding({ inputDim: 10000, outputDim: 128, maskZero: true }),
      layers.gru({ units: 128, returnSequences: true }),
      layers.bidirectional({ layer: layers.lstm({ units: 64 }) }),
      layers.dropout({ rate: 0.2 }),
      layers.dense({ units: 46, activation: 'softmax' }),
    ],
    { seed: 42 },
  );
  model.build([null]);
  const bytes = model.toOnnx();
  model.dispose();
  const [B, T] = [8, 20];
  const ids = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = 5 + Math.floor(rand() * (T - 4));
    for (let t = 0; t < len; t++) ids[b * T + t] = 1 + Math.floor(rand() * 9999);
  }
  return { bytes, feeds: { tokens: new ort.Tensor('int32', ids, [B, T]) } };
}

/**
 * One engine's call: `step()` runs one call (for DTLN, feeding the states the last call returned)
 * and checks nothing; `first` is the output of the first call, for the cross-check.
 */
function engineCall(kind, session, feeds, carry) {
  const state = { ...feeds };
  const next = (out) => {
    if (carry) for (const [input, output] of carry) state[input] = out[output];
  };
  if (kind === 'runSync') return () => next(session.runSync(state));
  return async () => next(await session.run(state));
}

function maxDiff(a, b) {
  let d = 0;
  for (const k of Object.keys(a)) for (let i = 0; i < a[k].data.length; i++) d = Math.max(d, Math.abs(a[k].data[i] - b[k].data[i]));
  return d;
}

async function measureRow(gatedrnn, ort, { name, bytes, feeds, carry, threads, calls }) {
  const g = await gatedrnn.loadOnnx(bytes, { threads });
  const o = await ort.InferenceSession.create(bytes, ortSessionOptions(threads));
  const diff = maxDiff(g.runSync(feeds), await o.run(feeds));
  const planned = g.usesPlan(feeds);
  const entries = [
    { id: 'run', fn: engineCall('run', g, feeds, carry) },
    { id: 'runSync', fn: engineCall('runSync', g, feeds, carry) },
    { id: 'onnxruntime', fn: engineCall('run', o, feeds, carry) },
  ];
  const load = watchOtherLoad();
  const samples = await measureRoundRobin(entries, { calls });
  const other = load();
  // gatedrnn alone, after onnxruntime's threads have gone idle: what the interleaved cell would
  // be without onnxruntime's spinning intra-op threads holding a core into gatedrnn's next call.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const alone = await measureRoundRobin([{ id: 'alone', fn: entries[1].fn }], { calls: Math.ceil(calls / 3) });
  g.dispose();
  await o.release();
  const med = (id) => summarize(samples.get(id)).medianMs;
  const base = med('onnxruntime');
  return {
    name,
    threads,
    planned,
    maxDiff: diff,
    calls,
    otherLoad: other,
    ms: { run: med('run'), runSync: med('runSync'), onnxruntime: base, runSyncAlone: summarize(alone.get('alone')).medianMs },
    ratio: { run: base / med('run'), runSync: base / med('runSync') },
  };
}

async function runSessions(options = {}) {
  const o = { ...parseArgs([]), ...options };
  const gatedrnn = require(root);
  const ort = require('onnxruntime-node');
  const rand = prng(7);
  const rows = [];
  const cases = [];
  const dir = path.join(root, 'test', 'fixtures', 'onnx');
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()) {
    const bytes = fs.readFileSync(path.join(dir, file));
    const probe = await ort.InferenceSession.create(bytes);
    for (const [B, T] of SHAPES)
      cases.push({ name: `${file.replace('.onnx', '')} B=${B} T=${T}`, bytes, feeds: fixtureFeeds(ort, probe, B, T, rand) });
    await probe.release();
  }
  const readme = readmeClassifier(gatedrnn, ort, rand);
  cases.push({ name: 'README classifier (toOnnx) B=8 T=20', ...readme });
  let skipped = null;
  if (fs.existsSync(o.dtln)) {
    const bytes = fs.readFileSync(o.dtln);
    const frame = Float32Array.from({ length: 257 }, () => rand());
    cases.push({
      name: 'DTLN model_1, one frame, states carried',
      bytes,
      feeds: {
        input_2: new ort.Tensor('float32', frame, [1, 1, 257]),
        input_3: new ort.Tensor('float32', new Float32Array(512), [1, 2, 128, 2]),
      },
      carry: [['input_3', 'tf_op_layer_stack_2']],
    });
  } else {
    skipped = `DTLN row skipped: no model at ${o.dtln} (extract pretrained_model/model_1.onnx from github.com/breizhn/DTLN there, or set GATEDRNN_DTLN_MODEL)`;
    console.log(`sessions: ${skipped}`);
  }
  for (const c of cases) {
    for (const threads of o.threads) {
      const calls = o.calls ?? (o.quick ? 60 : 300);
      const row = await measureRow(gatedrnn, ort, { ...c, threads, calls });
      rows.push(row);
      console.log(
        `${row.name.padEnd(44)} ${threads}t  run ${row.ms.run.toFixed(3)} ms  runSync ${row.ms.runSync.toFixed(3)} ms  onnxruntime ${row.ms.onnxruntime.toFixed(3)} ms  (runSync alone ${row.ms.runSyncAlone.toFixed(3)} ms)  ratio run ${row.ratio.run.toFixed(2)}x runSync ${row.ratio.runSync.toFixed(2)}x  ${row.planned ? 'plan' : 'interpreter'}  |Δ| ${row.maxDiff.toExponential(1)}  other load ${(row.otherLoad * 100).toFixed(0)}%`,
      );
    }
  }
  return {
    date: new Date().toISOString(),
    machine: { cpuModel: os.cpus()[0].model, cores: os.cpus().length, node: process.version, loadavg: os.loadavg()[0] },
    versions: { 'onnxruntime-node': require('onnxruntime-node/package.json').version },
    skipped,
    rows,
  };
}

module.exports = { runSessions };

if (require.main === module) {
  const { writeSessionsReport } = require('./report');
  runSessions(parseArgs(process.argv.slice(2))).then(
    (result) => {
      writeSessionsReport(result, __dirname);
      console.log('sessions: wrote bench/sessions.json and bench/RESULTS.md');
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
