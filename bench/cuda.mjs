#!/usr/bin/env node
// gatedrnn on an NVIDIA GPU (device: 'cuda') beside gatedrnn on the CPU and onnxruntime-node on
// the CPU, on the configurations of the CPU bench (bench/run.js), one GRU (linearBeforeReset 1)
// or LSTM layer, I = H. Prints medians as a Markdown table (and writes it with --out FILE).
// Without a CUDA build or a GPU it says so and exits 0: the GPU table is owed until a GPU run.
//
//   npm run build:cuda && npm run build:ts && node bench/cuda.mjs [--quick] [--configs 100x1x128,...]
//   GATEDRNN_ADDON=build-cuda/Release/gatedrnn.node node bench/cuda.mjs   (a CUDA build elsewhere)
//
// A GPU call is timed end to end as users see it: inputs to the device, the forward pass, outputs
// back to the host. Every engine's output is checked against gatedrnn's CPU path first.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { makeWeights, makeInput, maxAbsDiff, rnnFlops } = require('./tensors.js');
const { measureRoundRobin, summarize } = require('./measure.js');
const { buildRnnModel } = require('./onnx-model.js');
const { ortSessionOptions, installed } = require('./engines.js');

const CONFIGS = ['100x1x128', '100x1x512', '100x16x256', '50x64x512', '1000x1x64'];
const CELLS = [
  { label: 'GRU', cell: 'GRU', lbr: 1 },
  { label: 'LSTM', cell: 'LSTM', lbr: 0 },
];
const TOLERANCE = 1e-4;

function parseArgs(argv) {
  const opts = { quick: false, configs: CONFIGS, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--configs') opts.configs = argv[++i].split(',');
    else if (a === '--out') opts.out = argv[++i];
    else if (a === '--help') {
      console.log('Usage: node bench/cuda.mjs [--quick] [--configs TxBxI,...] [--out FILE]');
      process.exit(0);
    } else throw new Error(`bench/cuda.mjs: unknown argument '${a}' (try --help)`);
  }
  return opts;
}

const fmt = (ms) => (ms == null ? '—' : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const lib = require(path.join(ROOT, 'dist'));
  const { setCudaRecurrent } = require(path.join(ROOT, 'dist', 'cuda.js'));
  const info = lib.backendInfo();
  if (!info.cuda) {
    const why = info.cudaInfo.built
      ? `no NVIDIA GPU was found (${info.cudaInfo.error})`
      : 'this addon was built without CUDA (npm run build:cuda)';
    console.log(`bench/cuda.mjs: nothing to time: ${why}. The GPU table is owed until a run on an NVIDIA GPU.`);
    return;
  }
  if (info.cudaInfo.emulated) console.log('bench/cuda.mjs: this is the CPU emulation of the CUDA kernels; its timings mean nothing.');
  const ort = installed('onnxruntime-node') ? require('onnxruntime-node') : null;
  const threads = info.threads;
  const rows = [];
  for (const config of opts.configs) {
    const [T, B, I] = config.split('x').map(Number);
    const H = I;
    for (const { label, cell, lbr } of CELLS) {
      const weights = makeWeights(cell, I, H);
      const X = makeInput(T, B, I);
      const attrs = cell === 'GRU' ? { linearBeforeReset: lbr } : {};
      const Op = cell === 'GRU' ? lib.GruOp : lib.LstmOp;
      const cpu = new Op(weights, { ...attrs, threads });
      const gpu = new Op(weights, { ...attrs, device: 'cuda' });
      const run = (op) => () => op.run({ X }, { outputs: ['Y', 'Y_h'] });
      const expected = run(cpu)();
      const entries = [{ id: 'cpu', fn: run(cpu) }];
      // The GPU under each recurrent kernel: 'auto' is what users get; the others show the choice.
      for (const kernel of ['auto', 'persistent', 'step']) {
        setCudaRecurrent(kernel);
        let out;
        try {
          out = run(gpu)();
        } catch (err) {
          if (kernel !== 'persistent') throw err;
          continue; // does not fit this size
        }
        const diff = Math.max(maxAbsDiff(out.Y.data, expected.Y.data), maxAbsDiff(out.Y_h.data, expected.Y_h.data));
        if (!(diff <= TOLERANCE)) throw new Error(`${label} ${config} cuda ${kernel}: max |diff| ${diff} > ${TOLERANCE}`);
        entries.push({
          id: kernel,
          fn: () => {
            setCudaRecurrent(kernel);
            return run(gpu)();
          },
        });
      }
      let session = null;
      if (ort) {
        const bytes = buildRnnModel(cell, weights, { T, B, I, H, linearBeforeReset: lbr });
        session = await ort.InferenceSession.create(bytes, ortSessionOptions(threads));
        const feeds = { X: new ort.Tensor('float32', X.data, X.dims) };
        const out = await session.run(feeds);
        const diff = maxAbsDiff(out.Y.data, expected.Y.data);
        if (!(diff <= TOLERANCE)) throw new Error(`${label} ${config} onnxruntime: max |diff| ${diff} > ${TOLERANCE}`);
        entries.push({ id: 'ort', fn: () => session.run(feeds) });
      }
      // About 2 s per configuration (0.5 s with --quick), 5 to 200 calls of each.
      const t0 = performance.now();
      for (const e of entries) await e.fn();
      const perSweep = (performance.now() - t0) / 1e3;
      const calls = Math.max(5, Math.min(200, Math.round((opts.quick ? 0.5 : 2) / perSweep)));
      const samples = await measureRoundRobin(entries, { calls });
      const median = (id) => (samples.has(id) ? summarize(samples.get(id)).medianMs : null);
      const row = {
        config,
        label,
        auto: median('auto'),
        persistent: median('persistent'),
        step: median('step'),
        cpu: median('cpu'),
        ort: median('ort'),
      };
      row.gflops = rnnFlops(cell, { T, B, I, H }) / (row.auto / 1e3) / 1e9;
      rows.push(row);
      console.error(`${label} ${config}: cuda ${fmt(row.auto)}, cpu ${fmt(row.cpu)}, onnxruntime ${fmt(row.ort)}`);
      setCudaRecurrent('auto');
      cpu.dispose();
      gpu.dispose();
      if (session) await session.release();
    }
  }

  const head = [
    `gatedrnn on ${info.cudaInfo.name} (compute ${info.cudaInfo.computeCapability}) against the CPU (${threads} threads, ${info.isa}); medians, one call end to end.`,
    '',
    '| T × B × H | cell | GPU (auto) | GPU persistent | GPU per-step | gatedrnn CPU | onnxruntime CPU | GPU vs onnxruntime |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const body = rows.map((r) => {
    const ratio = r.ort != null ? `${(r.ort / r.auto).toFixed(2)}×` : '—';
    const config = r.config.split('x').join(' × ');
    return `| ${config} | ${r.label} | ${fmt(r.auto)} (${r.gflops.toFixed(1)} GFLOP/s) | ${fmt(r.persistent)} | ${fmt(r.step)} | ${fmt(r.cpu)} | ${fmt(r.ort)} | ${ratio} |`;
  });
  const table = [...head, ...body, ''].join('\n');
  console.log(table);
  if (opts.out) fs.writeFileSync(opts.out, table);
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
