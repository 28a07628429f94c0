// Turns the results object into a terminal table, bench/results.json and bench/RESULTS.md.
// Files are written atomically (temp file, then rename) so an interrupted run never leaves a
// half-written report behind a good one.

const fs = require('node:fs');
const path = require('node:path');

const fmt = (x, digits = 2) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(digits));
// GFLOP/s from 0.01 (pure JS) to 200 (GEMM): keep two significant digits at the low end.
const fmtRate = (x) => (x == null ? '—' : x >= 10 ? x.toFixed(1) : x.toPrecision(2));
const fmtMs = (ms) => (ms == null ? '—' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(3));
const fmtDiff = (d) => (d == null ? '—' : Number.isNaN(d) ? 'NaN' : d === 0 ? '0' : d.toExponential(1));
const configLabel = ({ T, B, I }) => `${T}×${B}×${I}`;
const fmtLoad = (pct) => (pct == null ? '—' : `${pct.toFixed(0)}%`);

function writeAtomic(file, text) {
  const tmp = `${file}.tmp`; // same folder, so the rename is atomic
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Rows of one thread count, in run order, as table cells (shared by terminal and Markdown). */
function tableCells(rows) {
  return rows.map((r) => [
    r.variant,
    configLabel(r.config),
    r.engine,
    fmtMs(r.medianMs),
    r.samples > 1 ? `${fmtMs(r.p10Ms)}–${fmtMs(r.p90Ms)}` : '(1 call)',
    String(r.samples),
    fmtRate(r.gflops),
    r.pctPeak == null ? '—' : `${r.pctPeak.toFixed(0)}%`,
    r.ratioVsGatedrnn == null ? '—' : `${r.ratioVsGatedrnn.toFixed(2)}×`,
    r.verified === false
      ? `${fmtDiff(r.maxAbsDiff)} unverified`
      : r.pass === false
        ? `${fmtDiff(r.maxAbsDiff)} FAIL`
        : fmtDiff(r.maxAbsDiff),
    fmtLoad(r.otherLoadPct),
  ]);
}

const HEADER = [
  'cell',
  'T×B×I (I=H)',
  'engine',
  'median ms',
  'p10–p90 ms',
  'n',
  'GFLOP/s',
  '% peak',
  'time ÷ gatedrnn',
  'max |Δ| vs gatedrnn',
  'other load',
];

function textTable(header, body, leftCols = 3) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < leftCols ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function markdownTable(header, body, rightFrom = 3) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const align = header.map((_, i) => (i < rightFrom ? '---' : '---:'));
  return [row(header), row(align), ...body.map(row)].join('\n');
}

function threadCounts(results) {
  return [...new Set(results.rows.map((r) => r.threads))].sort((a, b) => a - b);
}

// --- scaling and memory (gatedrnn alone) ----------------------------------------------------------

const fmtPct = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}%`;
const fmtMiB = (bytes) => (bytes / 2 ** 20).toFixed(1);
const kibToBytes = (kib) => kib * 1024;

/** One table per axis: a row per cell, its median times, then the fitted line. */
function scalingCells(a) {
  return a.cells.map((c) => [
    c.variant,
    ...c.points.map((p) => fmtMs(p.medianMs)),
    c.fit.slope.toFixed(4),
    fmtMs(c.fit.intercept).replace('-', '−'), // a line bent upward crosses below zero
    c.fit.r2.toFixed(4),
    `${fmtPct(c.fit.worstRelDev)} at ${a.axis}=${c.fit.worstAt}`,
  ]);
}

const scalingHeader = (a) => [
  'cell',
  ...a.values.map((x) => `${a.axis}=${x} ms`),
  `slope ms/${a.unit}`,
  'intercept ms',
  'R²',
  'worst dev. from line',
];

function speedupLine(s, c) {
  const [one, two] = c.timings;
  return `${c.variant} ${configLabel(s.config)}: ${one.threads} thread ${fmtMs(one.medianMs)} ms, ${two.threads} threads ${fmtMs(two.medianMs)} ms → ${c.speedup.toFixed(2)}× (target ≥ ${s.target}×: ${c.met ? 'met' : 'not met'})`;
}

/** A row per cell of the memory table (shared by terminal and Markdown). */
function memoryCells(m) {
  return m.cells.map((c) => [
    c.variant,
    fmtMiB(c.tensorsTotalBytes),
    fmtMiB(c.packedBytes),
    fmtMiB(kibToBytes(c.nodeAloneKiB)),
    fmtMiB(kibToBytes(c.afterSetupKiB)),
    fmtMiB(kibToBytes(c.firstRunPeakKiB)),
    fmtMiB(kibToBytes(c.runsPeakKiB)),
    fmtMiB(c.runBytes),
    c.controlKiB == null ? '—' : fmtMiB(kibToBytes(c.controlKiB)),
    c.gatedrnnBytes == null ? '—' : fmtMiB(c.gatedrnnBytes),
    `${c.firstRunRatio.toFixed(2)}×`,
    `${c.ratio.toFixed(2)}×${c.met ? '' : ` (over ${m.target}×)`}`,
    c.controlRatio == null ? '—' : `${c.controlRatio.toFixed(2)}×`,
  ]);
}

const memoryHeader = (m) => {
  const runs = m.cells[0] ? m.cells[0].runs : '?';
  return [
    'cell',
    'tensors MiB',
    'packed MiB',
    'node alone MiB',
    'after setup MiB',
    'peak, 1 run MiB',
    `peak, ${runs} runs MiB`,
    `run memory, ${runs} runs MiB`,
    'control MiB',
    `peak over control, ${runs} runs MiB`,
    'ratio, 1 run',
    `ratio, ${runs} runs`,
    `ratio over control, ${runs} runs`,
  ];
};

function printScalingAndMemory(results) {
  const s = results.scaling;
  if (s) {
    console.log(
      `\nscaling: gatedrnn run, ${s.threads} threads, median of ${s.calls} calls per size, other load ${fmtLoad(s.otherLoadPct)}`,
    );
    for (const a of s.axes) {
      console.log(`\ntime against ${a.axis} (${a.axis === 'T' ? `B=${a.fixed.B}` : `T=${a.fixed.T}`}, I=H=${a.fixed.I})`);
      console.log(textTable(scalingHeader(a), scalingCells(a), 1));
    }
    if (s.speedup) {
      console.log(`\nspeed-up (median of ${s.speedup.calls} calls each, other load ${fmtLoad(s.speedup.otherLoadPct)}):`);
      for (const c of s.speedup.cells) console.log(`  ${speedupLine(s.speedup, c)}`);
    }
  }
  const m = results.memory;
  if (m?.error) console.log(`\npeak memory: the probe failed: ${m.error}`);
  else if (m) {
    console.log(
      `\npeak memory, ${configLabel(m.config)} (I=H), ${m.threads} threads; run memory = peak RSS − RSS of node alone; ratio = run memory ÷ (tensors + packed weights)`,
    );
    console.log(textTable(memoryHeader(m), memoryCells(m), 1));
  }
}

function printTables(results) {
  for (const t of threadCounts(results)) {
    const rows = results.rows.filter((r) => r.threads === t);
    const peak = results.peak.find((p) => p.threads === t);
    console.log(
      `\nthreads = ${t}${peak ? `  (measured FMA peak ${peak.gflops.toFixed(1)} GFLOP/s, bf16 ${peak.bf16Gflops.toFixed(1)})` : ''}`,
    );
    console.log(textTable(HEADER, tableCells(rows)));
  }
  for (const ref of results.reference) {
    const ratios = ref.ratios.map((x) => `${x.ratio.toFixed(1)}× vs ${x.threads} thread(s)`).join(', ');
    console.log(
      `\nreference ${ref.variant} ${configLabel(ref.config)}: ${fmtMs(ref.ms)} ms; fast path is ${ratios}; max |Δ| ${fmtDiff(ref.maxAbsDiff)}`,
    );
  }
  printScalingAndMemory(results);
  if (results.contention) for (const line of contentionTargets(results.contention)) console.log(`\ncontention: ${line}`);
  for (const o of results.observations) console.log(`note: ${o}`);
}

/** Things a reader of the numbers should look at first; computed, not hand-written. */
function observations(results) {
  const slower = [];
  const threads = [];
  const async = [];
  const failed = [];
  const find = (r, engineId, t = r.threads) =>
    results.rows.find(
      (x) => x.engineId === engineId && x.variant === r.variant && x.threads === t && configLabel(x.config) === configLabel(r.config),
    );
  const where = (r) => `${r.variant} ${configLabel(r.config)}`;
  for (const r of results.rows) {
    if (r.engineId === 'onnxruntime' && r.ratioVsGatedrnn != null && r.ratioVsGatedrnn < 1) {
      slower.push(
        `${where(r)}, ${r.threads} thread(s): gatedrnn is ${(1 / r.ratioVsGatedrnn).toFixed(2)}× slower than onnxruntime-node (${fmtMs(find(r, 'gatedrnn').medianMs)} vs ${fmtMs(r.medianMs)} ms)`,
      );
    }
    if (r.engineId === 'gatedrnn' && r.threads > 1) {
      const one = find(r, 'gatedrnn', 1);
      // Within 5% is noise here; beyond it, the second thread costs more than it brings.
      if (one && one.medianMs * 1.05 < r.medianMs)
        threads.push(
          `${where(r)}: gatedrnn on ${r.threads} threads is slower than on 1 (${fmtMs(r.medianMs)} vs ${fmtMs(one.medianMs)} ms)`,
        );
    }
    if (r.engineId === 'gatedrnn-async') {
      const same = find(r, 'gatedrnn');
      const sync = find(r, 'gatedrnn-run-sync');
      const us = (a, b) => ((a.medianMs - b.medianMs) * 1e3).toFixed(0);
      if (same)
        async.push(
          `runAsync overhead, ${where(r)}, ${r.threads} thread(s): ${us(r, same)} µs per call over \`run\` timed the same way, as a deferred benchmark (${fmtMs(r.medianMs)} vs ${fmtMs(same.medianMs)} ms)${sync ? `; the deferred harness itself costs ${us(same, sync)} µs per call (\`run\` timed synchronously: ${fmtMs(sync.medianMs)} ms)` : ''}`,
        );
    }
    if (r.pass === false)
      failed.push(
        `${r.engine}, ${where(r)}, ${r.threads} thread(s): outputs differ from gatedrnn by ${fmtDiff(r.maxAbsDiff)} (limit ${limitOf(results, r)})`,
      );
  }
  const targets = [];
  for (const c of results.scaling?.speedup?.cells ?? []) {
    if (!c.met)
      targets.push(
        `${c.variant} ${configLabel(results.scaling.speedup.config)}: 2 threads are only ${c.speedup.toFixed(2)}× one thread (want ≥ ${results.scaling.speedup.target}×)`,
      );
  }
  if (results.memory?.error) targets.push(`peak memory: the probe failed (${results.memory.error.split('\n')[0]})`);
  for (const c of results.memory?.cells ?? []) {
    if (!c.met)
      targets.push(
        `${c.variant} ${configLabel(results.memory.config)}: run memory is ${c.ratio.toFixed(2)}× its tensors plus packed weights (want ≤ ${results.memory.target}×)`,
      );
  }
  for (const ref of results.reference) {
    for (const x of ref.ratios)
      if (x.ratio < 10)
        failed.push(`reference ${ref.variant}: the fast path is only ${x.ratio.toFixed(1)}× faster at ${x.threads} thread(s) (want ≥ 10×)`);
  }
  const hop = results.threadpoolHop;
  const pct = (x) => `${x.p50.toFixed(1)} µs (p10 ${x.p10.toFixed(1)}, p90 ${x.p90.toFixed(1)})`;
  if (hop)
    async.push(
      `for reference, round trips off the JS thread and back: through Node's libuv thread pool (crypto.pbkdf2 with 1 iteration) ${pct(hop.pbkdf2)}; through the addon's runner threads, which runAsync uses instead (runAsync of a 1-step GRU with 16 units) ${pct(hop.tinyRunAsync)}, against ${pct(hop.tinyRun)} for its run (awaited calls, medians)`,
    );
  return [...failed, ...targets, ...slower, ...threads, ...async];
}

/** The output-check limit a row was judged against. */
function limitOf(results, r) {
  return r.engineId === 'gatedrnn-bf16' ? results.bf16Tolerance : results.tolerance;
}

function markdown(results) {
  const m = results.machine;
  const out = [];
  out.push('# gatedrnn benchmark results', '');
  const command = `npm run bench${results.argv.length ? ` -- ${results.argv.join(' ')}` : ''}`;
  out.push(
    `Generated by \`${command}\` on ${results.date} (${results.mode} run, ${results.durationS.toFixed(0)} s). Do not edit by hand.`,
    '',
  );
  out.push(`- Machine: ${m.cpuModel}, ${m.cores} logical cores, ${m.totalMemGiB.toFixed(0)} GiB; ${m.platform}-${m.arch}; Node ${m.node}`);
  const addon = results.addon ? ` (${results.addon.path} built ${results.addon.mtime}, sha256 ${results.addon.sha256})` : '';
  out.push(
    `- gatedrnn ${results.backend.version}${addon}: isa ${results.backend.isa}, openmp ${results.backend.openmp}, cuda ${results.backend.cuda}; onnxruntime-node ${results.versions['onnxruntime-node']}; benchmark.js ${results.versions.benchmark}`,
  );
  out.push(
    `- Load average (1 min) at start / end: ${m.loadavgStart.toFixed(2)} / ${m.loadavgEnd.toFixed(2)} — other jobs share these cores, so read ratios, not absolute times.`,
  );
  out.push('');
  out.push('## How it is measured', '');
  out.push(
    '- One forward pass of a single-layer, forward-direction cell; X is [T, B, I], I = H. FLOPs = 2·T·B·G·H·(I+H) with G = 3 (GRU) or 4 (LSTM).',
  );
  out.push(
    '- GRU is linear_before_reset=1 (what PyTorch exports) unless the cell says lbr=0. onnxruntime-node runs a one-node ONNX model built by bench/onnx-model.js; gatedrnn returns Y and Y_h only, like that model.',
  );
  out.push(
    `- Engines of one configuration are timed in the same process, interleaved: ${results.options.rounds} rounds of benchmark.js, order reversed every other round and every other configuration; samples pooled; median and 10th/90th percentile of per-call time. Every engine compared with another is timed the same way: onnxruntime-node's \`session.run\` (a promise) and gatedrnn's \`runAsync\` as deferred benchmarks, and gatedrnn's \`run\` (also in bf16) inside a deferred benchmark that resolves on a microtask, so each pays the harness's cost per deferred call alike. "gatedrnn run (sync)" is \`run\` timed as a plain synchronous benchmark, shown only to size that harness cost.`,
  );
  out.push('- onnxruntime-node sessions: intraOpNumThreads = threads, interOpNumThreads 1, sequential, graphOptimizationLevel all.');
  out.push(
    `- Before timing, every engine's output is compared with gatedrnn's: max |Δ| over Y and Y_h, limit ${results.tolerance}; for gatedrnn bf16, whose weights are rounded to bfloat16 by design, ${results.bf16Tolerance} (about twice the largest difference measured).`,
  );
  out.push(
    '- "time ÷ gatedrnn" is the engine\'s median over gatedrnn\'s at the same cell, configuration and thread count: above 1 means gatedrnn is faster.',
  );
  out.push(
    `- "other load" is the share of the machine's CPU time that other processes used while a configuration was timed (from /proc/stat): rows above ~10% were measured on a busy machine and their absolute times, and two-thread times most of all, are pessimistic. A configuration timed at over ${results.retryLoadPct}% is timed again once the machine is quiet, within a waiting budget of ${results.options.settleS} s for the whole run, and the quieter timing is kept.`,
  );
  out.push(
    '- "% peak" is GFLOP/s over the measured peak at the same thread count (below, "GFLOP/s used"): the fp32 FMA peak, and for gatedrnn bf16 the peak of its bf16 kernel.',
  );
  if (results.rows.some((r) => r.engineId === 'tfjs' || r.engineId === 'brain')) {
    out.push(
      '- tfjs (CPU backend, pure JS) and brain.js are single-threaded JavaScript; they are measured once, in the 1-thread table, at small configurations only. They are timed by a few plain calls when one call takes over 0.25 s; "(1 call)" means the output-checked call itself (after a warm-up on T/20 steps) was the only one that fit the time budget.',
    );
  }
  out.push('');
  out.push('## Measured FMA peak', '');
  out.push(
    'The addon\'s FMA loop (`fmaPeak`: 12 independent 16-lane multiply-adds per round, with the kernels in use) on each thread count, median of 7 calls, at the start and at the end of the run; the higher, "GFLOP/s used", is the one figure "% peak" divides by. bf16: the same with the loop of the bf16 kernel in use (`fmaPeak(threads, true)`: 12 independent vdpbf16ps, each 16 lanes × 2 multiply-adds, where the CPU has AVX512_BF16; the fp32 FMAs elsewhere, which the emulated kernel widens to).',
    '',
  );
  const peakCell = (run, key) => (run ? `${fmt(run[key], 1)} (other load ${fmtLoad(run.otherLoadPct)})` : '—');
  if (results.peak.length === 0) out.push('Not measured (--no-peak); "% peak" is empty.');
  else {
    out.push(
      markdownTable(
        [
          'threads',
          'GFLOP/s at start',
          'GFLOP/s at end',
          'GFLOP/s used',
          'bf16 GFLOP/s at start',
          'bf16 GFLOP/s at end',
          'bf16 GFLOP/s used',
        ],
        results.peak.map((p) => [
          String(p.threads),
          peakCell(p.runs[0], 'gflops'),
          peakCell(p.runs[1], 'gflops'),
          fmt(p.gflops, 1),
          peakCell(p.runs[0], 'bf16Gflops'),
          peakCell(p.runs[1], 'bf16Gflops'),
          fmt(p.bf16Gflops, 1),
        ]),
        1,
      ),
    );
  }
  out.push('');
  for (const t of threadCounts(results)) {
    out.push(`## ${t} thread${t > 1 ? 's' : ''}`, '');
    out.push(markdownTable(HEADER, tableCells(results.rows.filter((r) => r.threads === t))));
    out.push('');
  }
  out.push(...contentionMarkdown(results.contention), ...scalingMarkdown(results), ...memoryMarkdown(results));
  out.push('## Scalar reference oracle', '');
  if (results.reference.length === 0) out.push('Not run (--no-reference).');
  else {
    out.push(
      'native/reference (plain scalar code, one thread) against the fast path on the same input; ratio = reference time ÷ gatedrnn median.',
      '',
    );
    const body = results.reference.map((ref) => [
      ref.variant,
      configLabel(ref.config),
      `${fmtMs(ref.ms)} (${ref.runs} run${ref.runs > 1 ? 's' : ''})`,
      ...threadCounts(results).map((t) => {
        const x = ref.ratios.find((y) => y.threads === t);
        return x ? `${x.ratio.toFixed(1)}×` : '—';
      }),
      fmtDiff(ref.maxAbsDiff),
    ]);
    out.push(
      markdownTable(['cell', 'T×B×I', 'reference ms', ...threadCounts(results).map((t) => `ratio vs ${t} thr`), 'max |Δ|'], body, 2),
    );
  }
  out.push('');
  out.push('## Output check', '');
  const checked = results.rows.filter((r) => r.engineId !== 'gatedrnn' && r.maxAbsDiff != null && r.verified !== false);
  const worst = checked.reduce((w, r) => (w == null || !(r.maxAbsDiff <= w.maxAbsDiff) ? r : w), null);
  const failed = checked.filter((r) => r.pass === false);
  out.push(
    `${checked.length} engine/configuration pairs compared with gatedrnn; ${failed.length} over their limit (${results.tolerance}; ${results.bf16Tolerance} for gatedrnn bf16).` +
      (worst
        ? ` Largest difference: ${fmtDiff(worst.maxAbsDiff)} (${worst.engine}, ${worst.variant} ${configLabel(worst.config)}, ${worst.threads} thread(s)).`
        : ''),
  );
  const unverified = results.rows.filter((r) => r.verified === false);
  if (unverified.length)
    out.push('', `Not comparable, timed only: ${[...new Set(unverified.map((r) => `${r.engine} ${r.variant} (${r.note})`))].join('; ')}.`);
  if (results.skipped.length) {
    out.push('', '## Skipped', '');
    for (const s of results.skipped) out.push(`- ${s}`);
  }
  out.push('', ...gpuMarkdown());
  if (results.observations.length) {
    out.push('', '## Observations (computed)', '');
    for (const o of results.observations) out.push(`- ${o}`);
  }
  out.push('');
  return out.join('\n');
}

// --- what a server's process sees (bench/contention.js) --------------------------------------------

const fmtRatio = (x) => (x == null || Number.isNaN(x) ? '—' : `${x.toFixed(2)}×`);
const contentionShapes = (c) => [...new Map(c.rows.map((r) => [configLabel(r.config), r.config])).values()];

/** The issue's targets, checked on the measured cells: lines that say met or not, with the worst cell. */
function contentionTargets(c) {
  const checks = [
    { scenario: 'defaults', label: 'alternating with onnxruntime at its defaults, every cell', min: 1.0, where: () => true },
    { scenario: 'defaults', label: 'alternating with onnxruntime at its defaults, batch ≥ 16', min: 1.15, where: (r) => r.config.B >= 16 },
    { scenario: 'idleGap', label: `after a ${c.idleGapMs} ms idle gap, every cell`, min: 1.0, where: () => true },
  ];
  const out = [];
  for (const k of checks) {
    const cells = [];
    for (const r of c.rows.filter((x) => x.scenario === k.scenario && k.where(x)))
      for (const call of ['run', 'runAsync']) cells.push({ r, call, ratio: r.ratio[call] });
    if (!cells.length) continue;
    const below = cells.filter((x) => !(x.ratio >= k.min));
    const worst = cells.reduce((w, x) => (x.ratio < w.ratio ? x : w));
    out.push(
      `${k.label} ≥ ${k.min.toFixed(2)}×: ${below.length ? `not met in ${below.length} of ${cells.length} cells` : `met in all ${cells.length} cells`}; lowest ${fmtRatio(worst.ratio)} (${worst.r.cell} \`${worst.call}\`, ${configLabel(worst.r.config)}, ${worst.r.threads} thread(s))`,
    );
  }
  return out;
}

function contentionMarkdown(c) {
  if (!c) return [];
  const out = ["## What a server's process sees: onnxruntime-node and gatedrnn alternating call by call", ''];
  const commit = c.git ? `commit ${c.git.commit.slice(0, 12)}${c.git.dirty ? ' with uncommitted changes' : ''}` : 'outside a git checkout';
  const la = (x) => x.map((v) => v.toFixed(2)).join(' / ');
  out.push(
    `Measured by bench/contention.js (\`npm run bench${c.argv.length ? ` -- ${c.argv.join(' ')}` : ''}\`, ${c.mode} run) on ${c.date}, ${commit}, in ${c.durationS.toFixed(0)} s. Load average (1 / 5 / 15 min) before: ${la(c.loadavg.start)}, after: ${la(c.loadavg.end)}.`,
    '',
  );
  out.push(
    "- Each cell is gatedrnn's speed-up: the median of onnxruntime-node's `session.run` calls ÷ the median of gatedrnn's calls, at the same shape, cell and thread count (gatedrnn `threads` = onnxruntime `intraOpNumThreads`). Above 1, gatedrnn is faster.",
  );
  out.push(
    "- One process, one operator of each engine; the calls go onnxruntime, gatedrnn `run`, onnxruntime, gatedrnn `runAsync`, the two gatedrnn calls swapping places every other round, so each gatedrnn call comes right after an onnxruntime call. Every call is timed alone, from the call to its result (to the promise's resolution for `session.run` and `runAsync`; `run` is synchronous). The `run` column divides by `run`'s median, the `runAsync` column by `runAsync`'s; onnxruntime's median is over all its calls of the cell.",
  );
  out.push(
    `- A cell stops after ${c.options.maxTimeS} s once each gatedrnn call has ${c.options.minCalls} samples, or at ${c.options.maxCalls}; one untimed call of each first, whose outputs are compared (max |Δ| in the JSON). The scenarios of one shape, cell and thread count run back to back.`,
  );
  out.push(
    '- onnxruntime sessions: intraOpNumThreads = threads, interOpNumThreads 1, sequential, graphOptimizationLevel all; otherwise its defaults, under which its intra-op threads spin after each call. "Spinning off" adds the session config entry `session.intra_op.allow_spinning = 0`. The busy loop is a second node process running `for (;;) {}`, started before the cell and killed after it. GRU is linear_before_reset = 1; I = H.',
  );
  out.push(
    '- "other load" is the largest share of the machine that processes other than this one used during the row\'s cells (the busy loop counts as other load).',
    '',
  );
  const shapes = contentionShapes(c);
  const threads = [...new Set(c.rows.map((r) => r.threads))].sort((a, b) => a - b);
  const cells = [...new Set(c.rows.map((r) => r.cell))];
  for (const scenario of c.scenarios) {
    const rows = c.rows.filter((r) => r.scenario === scenario.id);
    if (!rows.length) continue;
    out.push(`### ${scenario.title}`, '');
    const body = [];
    for (const shape of shapes) {
      for (const t of threads) {
        const at = rows.filter((r) => configLabel(r.config) === configLabel(shape) && r.threads === t);
        if (!at.length) continue;
        const ratioCells = cells.flatMap((cell) => {
          const r = at.find((x) => x.cell === cell);
          return [fmtRatio(r?.ratio.run), fmtRatio(r?.ratio.runAsync)];
        });
        const loads = at.map((r) => r.otherLoadPct).filter((x) => x != null);
        body.push([configLabel(shape), String(t), ...ratioCells, fmtLoad(loads.length ? Math.max(...loads) : null)]);
      }
    }
    out.push(
      markdownTable(['T×B×H', 'threads', ...cells.flatMap((cell) => [`${cell} \`run\``, `${cell} \`runAsync\``]), 'other load'], body, 1),
      '',
    );
  }
  if (c.spinAfterCall) {
    const sp = c.spinAfterCall;
    out.push(
      "### What each engine's threads do after a call returns",
      '',
      `CPU time this process used while its JavaScript thread slept after a call (from 1 ms after the call returned to the end of the sleep), per millisecond asleep; the median of 8 calls, each followed by its sleep. About 1 means a core kept busy all along. GRU ${configLabel(sp.shape)}.`,
      '',
      markdownTable(
        ['engine', 'threads', ...sp.sleepsMs.map((ms) => `${ms} ms sleep`)],
        sp.rows.map((r) => [
          r.engine === 'gatedrnn' ? 'gatedrnn `run`' : `onnxruntime, ${r.mode === 'noSpin' ? 'spinning off' : 'defaults'}`,
          String(r.threads),
          ...sp.sleepsMs.map((ms) => r.cpuPerMsAsleep[ms].toFixed(2)),
        ]),
        1,
      ),
      '',
    );
  }
  const targets = contentionTargets(c);
  if (targets.length) {
    out.push('Targets (computed from the cells above):', '');
    for (const line of targets) out.push(`- ${line}`);
    out.push('');
  }
  out.push('<details><summary>Median milliseconds of every cell</summary>', '');
  const body = c.rows.map((r) => [
    r.scenario,
    r.cell,
    configLabel(r.config),
    String(r.threads),
    fmtMs(r.ms.onnxruntime),
    fmtMs(r.ms.run),
    fmtMs(r.ms.runAsync),
    `${r.calls.onnxruntime}/${r.calls.run}/${r.calls.runAsync}`,
    fmtDiff(r.maxAbsDiff),
    fmtLoad(r.otherLoadPct),
  ]);
  out.push(
    markdownTable(
      ['scenario', 'cell', 'T×B×H', 'threads', 'onnxruntime ms', '`run` ms', '`runAsync` ms', 'calls', 'max \\|Δ\\|', 'other load'],
      body,
      4,
    ),
    '',
    '</details>',
    '',
  );
  return out;
}

function scalingMarkdown(results) {
  const s = results.scaling;
  const out = ['## Scaling', ''];
  if (!s) return [...out, 'Not run (--no-scaling).', ''];
  out.push(
    `gatedrnn \`run\` alone (synchronous, Y and Y_h), ${s.threads} threads, one operator per cell for every size. Each size is the median of ${s.calls} plain calls; the calls go in sweeps over all sizes of both cells in a shuffled order, so a burst of other load hits every size about alike (other load ${fmtLoad(s.otherLoadPct)}: as in the tables above, 2-thread times taken above ~10% are pessimistic). The line time = intercept + slope·x is a least-squares fit of the medians; "worst dev. from line" is the point furthest from it, as (median − fit) ÷ median. The issue asks for time linear in T and in B.`,
    '',
  );
  for (const a of s.axes) {
    out.push(`### Time against ${a.axis} (${a.axis === 'T' ? `B = ${a.fixed.B}` : `T = ${a.fixed.T}`}, I = H = ${a.fixed.I})`, '');
    out.push(markdownTable(scalingHeader(a), scalingCells(a), 1), '');
  }
  const p = s.speedup;
  if (p) {
    out.push(`### 2 threads against 1 (${configLabel(p.config)}, I = H)`, '');
    out.push(
      `Both thread counts are operators in the same process, timed in the same sweeps (median of ${p.calls} calls each, other load ${fmtLoad(p.otherLoadPct)}); speed-up = 1-thread median ÷ 2-thread median. The issue asks for ≥ ${p.target}×. With other jobs on the machine the second thread is the first to lose its core, so a low speed-up at high other load says little.`,
      '',
    );
    for (const c of p.cells) out.push(`- ${speedupLine(p, c)}`);
    out.push('');
  }
  return out;
}

function memoryMarkdown(results) {
  const m = results.memory;
  const out = ['## Peak memory', ''];
  if (!m) return [...out, 'Not run (--no-memory).', ''];
  if (m.error) return [...out, `Not measured: the probe failed (${m.error.split('\n')[0]}).`, ''];
  const c0 = m.cells[0];
  out.push(
    `gatedrnn at ${configLabel(m.config)} (I = H), ${m.threads} threads, each cell in a fresh node process (bench/memory-probe.js), so that nothing else the benchmark holds counts. The issue asks for peak RSS of the B=64 run ≤ ${m.target}× its tensors plus packed weights; here that is:`,
    '',
  );
  out.push(
    '- **run memory** = peak RSS − RSS of node alone, where "node alone" is the probe process\'s RSS on its first line, before it loads anything; run memory thus holds the library (JS and addon), the tensors, the packed weights, the run\'s scratch and its outputs;',
  );
  out.push(
    "- **tensors** = X, W, R, B, Y, Y_h as float32, the user's arrays; **packed** = the op's packed weights (`op.packedBytes`). W, R and B are thus counted twice: the user's copy and the packed one;",
  );
  out.push(
    `- **ratio** = run memory ÷ (tensors + packed); target ≤ ${m.target}×, judged on the peak after all ${c0 ? c0.runs : '?'} runs (what a process that calls \`run\` repeatedly holds); the ratio after one run is shown beside it.`,
    '',
  );
  out.push(
    `"After setup" is the RSS once the library is loaded and the input tensors and op exist. The peak mark is then reset (${c0?.peakReset ? '/proc/self/clear_refs' : 'not possible here: the peaks include setup'}) and \`op.run\` (Y and Y_h) is called ${c0 ? c0.runs : '?'} times; "peak" is VmHWM after the first run and after all of them (the plain peak RSS of the process, not a difference). Between runs the probe collects garbage and lets the event loop turn twice, as a server does between requests. Each run happens in a function of its own, so that its outputs are garbage by the time the probe collects (a local of the probe's async loop would stay reachable across the await that follows, and every run after the first would hold two Ys at its peak).`,
    '',
  );
  out.push(
    '"Control" is the RSS of a second process that does the same without gatedrnn: node, the harness and the input tensors X, W, R and B, collected and settled as often. Node\'s own code pages and the harness\'s JS heap grow in any process that runs, so part of the run memory is there without gatedrnn; "peak over control" is what gatedrnn added on top: its library (JS and addon), the packed weights, the run\'s scratch and its outputs. "Ratio over control" is (peak over control + X, W, R, B) ÷ (tensors + packed): the ratio above with the control, not node\'s first line, as the baseline.',
    '',
  );
  out.push(markdownTable(memoryHeader(m), memoryCells(m), 1), '');
  return out;
}

/** The "Server load" section, from bench/server-load.js's results (server-load.json). */
function serverLoadMarkdown(s) {
  const o = s.options;
  const out = ['## Server load', ''];
  out.push(
    `Generated by \`node bench/server-load.js\` on ${s.date}; ${s.machine.cpuModel}, ${s.machine.cores} logical cores, Node ${s.machine.node}, onnxruntime-node ${s.versions['onnxruntime-node']}; load average (1 min) ${s.machine.loadavgStart.toFixed(2)} at start, ${s.machine.loadavgEnd.toFixed(2)} at end (other jobs share these cores, and the load generator shares them with the server).`,
    '',
    `examples/server (a GRU text classifier, a \`sequential\` model: embedding 4096×32 with maskZero, GRU H = 64, dense softmax to 4 classes) on loopback, one server process per engine. Steady: ${o.concurrency} concurrent keep-alive clients posting texts of 5 to 60 words for ${o.seconds} s after ${o.warmup} s of warm-up. Bursts: ${o.burst ?? '—'} requests at once, the next burst when all are answered, for ${o.burstSeconds ?? '—'} s. The server batches concurrent requests (up to ${o.maxBatch} per batch, ${o.windowMs} ms window, ${o.maxInFlight} batches in flight, ${o.threads} thread per batch). gatedrnn: \`model.toSession()\`, \`session.run\` per batch; onnxruntime-node: the same model's \`toOnnx()\` bytes, \`session.run\`; none: no model (uniform probabilities), the floor that HTTP, JSON, batching and the machine's other jobs set. Both engines gave the same probabilities on 20 texts to ${s.maxProbDiff.toExponential(1)}. Event-loop delay is the server's own (perf_hooks monitorEventLoopDelay, 5 ms resolution, read over the phase).`,
    '',
  );
  const delay = (d) => (d ? `${d.p99.toFixed(1)} / ${d.max.toFixed(1)}` : '—');
  const body = s.runs.map((r) => [
    r.engine,
    r.requestsPerS.toFixed(0),
    r.p50Ms.toFixed(2),
    r.p90Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    r.maxMs.toFixed(1),
    String(r.requests),
    String(r.errors),
    r.meanBatch == null ? '—' : r.meanBatch.toFixed(1),
    delay(r.eventLoopDelayMs),
    r.serverRssMiB == null ? '—' : r.serverRssMiB.toFixed(0),
  ]);
  out.push(
    'Steady:',
    '',
    markdownTable(
      [
        'engine',
        'requests/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'requests',
        'errors',
        'mean batch',
        'event-loop delay p99 / max ms',
        'server RSS MiB',
      ],
      body,
      1,
    ),
    '',
  );
  const bursts = s.runs.filter((r) => r.burst);
  if (bursts.length) {
    const rows = bursts.map(({ engine, burst: u }) => [
      engine,
      String(u.bursts),
      u.p50Ms.toFixed(1),
      u.p99Ms.toFixed(1),
      u.maxMs.toFixed(1),
      String(u.errors),
      delay(u.eventLoopDelayMs),
      `${u.idleRssMiB.toFixed(0)} / ${u.peakRssMiB.toFixed(0)}`,
      u.rssPerInFlightKiB.toFixed(0),
    ]);
    out.push(
      `Bursts of ${s.options.burst}:`,
      '',
      markdownTable(
        [
          'engine',
          'bursts',
          'p50 ms',
          'p99 ms',
          'max ms',
          'errors',
          'event-loop delay p99 / max ms',
          'RSS idle / peak MiB',
          'KiB per request in flight',
        ],
        rows,
        1,
      ),
      '',
    );
  }
  return out.join('\n');
}

// The GPU tables: bench/cuda.mjs run on a machine with an NVIDIA GPU, its --out file kept in
// bench/gpu/ as <gpu>-cuda-bench.md (the machine that runs this bench may have no GPU).
function gpuMarkdown() {
  const dir = path.join(__dirname, 'gpu');
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('-cuda-bench.md'))
        .sort()
    : [];
  const out = ["## GPU (device: 'cuda')", ''];
  if (!files.length)
    return [
      ...out,
      'No GPU run recorded: run `node bench/cuda.mjs --out bench/gpu/<gpu>-cuda-bench.md` on a machine with an NVIDIA GPU and a CUDA build.',
      '',
    ];
  out.push(
    "Measured with `node bench/cuda.mjs` on a machine with an NVIDIA GPU (the file's first line names it) and copied into bench/gpu/; its CPU columns are that machine's CPU at all its threads, not this machine. A GPU call is timed end to end: inputs to the device, the pass, outputs back. \"GPU (auto)\" is what `device: 'cuda'` picks: the persistent recurrent kernel up to batch 16, the per-step kernels above.",
    '',
    "The CPU columns there alternate the two engines call by call, and onnxruntime's intra-op threads keep spinning for a while after each of its calls, taking cores from gatedrnn's next call (and gatedrnn's idle workers spin ~0.3 ms in turn): at all 16 threads this costs gatedrnn most. The same machine's CPU engine alone (bench/gpu/*-cpu-threads.log) took 0.22 ms at 100 × 1 × 128 GRU, 0.87 ms at 100 × 1 × 512 GRU and 14.6 ms at 50 × 64 × 512 GRU on 16 threads.",
    '',
  );
  for (const f of files) out.push(fs.readFileSync(path.join(dir, f), 'utf8').trim(), '');
  return out;
}

// --- training throughput (bench/train.js, kept in train-results.json) -----------------------------

const ENGINE_LABELS = { gatedrnn: 'gatedrnn', tfjs: 'tfjs (cpu)', torch: 'PyTorch (cpu)' };

/** The thread setting a PyTorch row kept, then each tried one's median step time. */
function torchSetting(r) {
  const label = (s) => `${s.torchThreads}×${s.blasThreads}`;
  const tried = r.sweep.filter((s) => s.medianMs != null || s.stoppedAfterS != null);
  const one = (s) => `${label(s)} ${s.medianMs != null ? `${fmtMs(s.medianMs)} ms` : `stopped after ${s.stoppedAfterS.toFixed(0)} s`}`;
  return tried.length ? `${label(r)} (tried ${tried.map(one).join(', ')})` : label(r);
}

function trainingMarkdown(t) {
  const m = t.model;
  const out = ['## Training throughput', ''];
  const ran = (engine) => t.rows.some((r) => r.engine === engine);
  out.push(
    `Generated by \`npm run bench:train${t.argv.length ? ` -- ${t.argv.join(' ')}` : ''}\` on ${t.date} (${t.durationS.toFixed(0)} s; ${t.machine.cpuModel}, ${t.machine.cores} logical cores, load average ${t.machine.loadavg.toFixed(2)} at the end; gatedrnn isa ${t.backend.isa}; tfjs ${ran('tfjs') ? t.versions.tfjs : 'not run'}; PyTorch ${ran('torch') ? t.versions.torch : 'not run'}).`,
    '',
  );
  out.push(
    `- The text classifier of the design: Embedding ${m.vocab}×${m.embed} → GRU ${m.units} (all steps) → GRU ${m.units} → Dense ${m.dense} relu → Dense ${m.classes} softmax, and the same with LSTM; batch ${m.batch}, T = ${m.seq}, sparse categorical cross-entropy, Adam. Synthetic token ids and labels (seed ${t.seed}).`,
  );
  out.push(
    '- One step = forward, backward and the optimizer update on one batch; samples/s = batch ÷ median step time. Each engine runs in its own child process: gatedrnn one `fit` call per batch, tfjs `trainOnBatch`, PyTorch bench/train_torch.py.',
  );
  if (t.blas) {
    const b = t.blas;
    out.push(
      `- PyTorch's BLAS: ${b.name}${b.variant ? ` (${b.variant})` : ''}${b.file ? `, ${b.file}` : ''}, read from the libraries mapped into its process (/proc/<pid>/maps, symlinks resolved) and its build summary; the bench refuses to run against the reference BLAS.`,
    );
    out.push(
      `- PyTorch runs at its best thread setting at each thread count: every pair of \`torch.set_num_threads\` and the BLAS's own threads (OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, BLIS_NUM_THREADS) from {1, threads} is timed for ${t.options.sweepSteps ?? '?'} steps after one warm-up step, each in its own process (one already 3× slower than the fastest so far stops after its first timed step, and one whose process runs past 3× the fastest one's is stopped and counted out); the fastest is then timed like the other engines and is the row. "PyTorch setting" names it (torch × BLAS threads) and each tried pair's median step.`,
    );
  }
  if (t.peak) {
    out.push(
      `- GFLOP/s counts the matrix products of one step (${t.flopsMethod}): ${t.rows.length ? [...new Set(t.rows.map((r) => `${r.cell.toUpperCase()} ${(r.flopsPerStep / 1e9).toFixed(2)} GFLOP`))].join(', ') : '—'} per step. "% peak" divides it by the addon's FMA loop at the same thread count (\`fmaPeak\`, the best of 7 calls, at the start and at the end of the run, the higher kept: ${t.peak.map((p) => `${p.gflops.toFixed(1)} GFLOP/s at ${p.threads} thread(s)${p.startGflops != null ? ` (${p.startGflops.toFixed(1)} / ${p.endGflops.toFixed(1)})` : ''}`).join(', ')}).`,
    );
  }
  out.push(
    `- ${t.options.warmup} untimed warm-up step(s), then ${t.options.steps} timed steps. gatedrnn runs with GATEDRNN_THREADS set to the thread count.`,
  );
  if (ran('tfjs')) {
    out.push(
      `- tfjs is single-threaded JavaScript and runs once, at ${t.options.threads[0]} thread(s); its GRU is the reset-before form (tfjs-layers lacks \`resetAfter\`), gatedrnn's and PyTorch's the reset-after one: the same work per step.`,
    );
    out.push(
      `- tfjs is not run at T = ${m.seq}: one such step takes many minutes (its CPU backend computes the Embedding gradient with tensor ops over each of the ${m.vocab} rows, and runs the RNN op by op). It is timed at two short lengths (${t.options.tfjsSteps} step each, no warm-up), and its T = ${m.seq} step time is extrapolated along the line through them (a fixed part plus a part per time step): an estimate, marked as such in the table.`,
    );
  }
  out.push(
    `- "gatedrnn ÷ engine" is gatedrnn's samples/s over the engine's at the same thread count; targets: ≥ ${t.targets.tfjs}× tfjs, ≥ ${t.targets.torch.toFixed(1)}× PyTorch. "other load" is the share of the machine other processes used during the run.`,
    '',
  );
  const fmtRateS = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(2));
  const body = t.rows.map((r) => [
    r.cell.toUpperCase(),
    String(r.threads),
    ENGINE_LABELS[r.engine],
    fmtRateS(r.samplesPerS),
    fmtMs(r.medianMs),
    r.estimated
      ? `estimated: ${r.estimated.probes.map((p) => `T=${p.seq} ${fmtMs(p.medianMs)}`).join(', ')}`
      : r.samples > 1
        ? `${fmtMs(r.p10Ms)}–${fmtMs(r.p90Ms)}`
        : '(1 step)',
    r.estimated ? r.estimated.probes.map((p) => p.samples).join(' + ') : String(r.samples),
    `${r.lossFirst.toFixed(3)} → ${r.lossLast.toFixed(3)}`,
    r.gatedrnnRatio == null ? '—' : `${r.gatedrnnRatio.toFixed(2)}× (target ${r.target}×: ${r.met ? 'met' : 'not met'})`,
    r.gflops == null ? '—' : fmtRate(r.gflops),
    r.pctPeak == null ? '—' : `${r.pctPeak.toFixed(0)}%`,
    r.sweep ? torchSetting(r) : '',
    fmtLoad(r.otherLoadPct),
  ]);
  out.push(
    markdownTable(
      [
        'cell',
        'threads',
        'engine',
        'samples/s',
        'median step ms',
        'p10–p90 ms',
        'steps',
        'loss first → last',
        'gatedrnn ÷ engine',
        'GFLOP/s',
        '% peak',
        'PyTorch setting',
        'other load',
      ],
      body,
      3,
    ),
  );
  if (t.git) out.push('', `Commit ${t.git.commit.slice(0, 12)}${t.git.dirty ? ' with uncommitted changes' : ''}.`);
  if (t.skipped.length) {
    out.push('', 'Not measured:', '');
    for (const s of t.skipped) out.push(`- ${s}`);
  }
  out.push('');
  return out.join('\n');
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * RESULTS.md: the forward tables (when results.json exists), the training section (when
 * train-results.json does) and the server load section (when server-load.json does).
 */
function writeMarkdown(dir, results, training) {
  const parts = [results ? markdown(results) : '# gatedrnn benchmark results\n\nForward tables: not run yet (`npm run bench`).\n'];
  if (training) parts.push(trainingMarkdown(training));
  const sessions = readJson(path.join(dir, 'sessions.json'));
  if (sessions) parts.push(sessionsMarkdown(sessions));
  const serverLoad = readJson(path.join(dir, 'server-load.json'));
  if (serverLoad) parts.push(serverLoadMarkdown(serverLoad));
  writeAtomic(path.join(dir, 'RESULTS.md'), parts.join('\n'));
}

/** The "Imported models" section, from bench/sessions.js's results (sessions.json). */
function sessionsMarkdown(s) {
  const out = ['## Imported models: loadOnnx sessions against onnxruntime-node', ''];
  out.push(
    `Generated by \`node bench/sessions.js\` (also the end of \`npm run bench\`) on ${s.date}; ${s.machine.cpuModel}, ${s.machine.cores} logical cores, Node ${s.machine.node}, onnxruntime-node ${s.versions['onnxruntime-node']}; load average (1 min) ${s.machine.loadavg.toFixed(2)} (other jobs share these cores). The three engines run call by call in a shuffled order in one process; medians of each row's calls. "× ort" is onnxruntime-node's median over gatedrnn's: above 1, gatedrnn is faster. "plan": the session ran the whole graph as one native call.`,
    '',
  );
  const body = s.rows.map((r) => [
    r.name,
    String(r.threads),
    r.ms.run.toFixed(3),
    r.ms.runSync.toFixed(3),
    r.ms.onnxruntime.toFixed(3),
    `${r.ratio.run.toFixed(2)}×`,
    `${r.ratio.runSync.toFixed(2)}×`,
    r.ms.runSyncAlone == null ? '—' : r.ms.runSyncAlone.toFixed(3),
    r.planned ? 'plan' : 'interpreter',
    r.maxDiff.toExponential(1),
    `${(r.otherLoad * 100).toFixed(0)}%`,
  ]);
  out.push(
    markdownTable(
      [
        'model',
        'threads',
        'run ms',
        'runSync ms',
        'onnxruntime ms',
        'run × ort',
        'runSync × ort',
        'runSync alone ms',
        'path',
        'max |Δ|',
        'other load',
      ],
      body,
      2,
    ),
    '',
  );
  if (s.skipped) out.push(s.skipped, '');
  out.push(
    "\"runSync alone\" is gatedrnn by itself right after the interleaved calls, once onnxruntime's threads have gone idle. Where a 2-thread row falls far below its 1-thread row, the cause is the interleaving: onnxruntime-node's intra-op threads spin for a while after each of its calls, and on this 2-core machine with other jobs that holds the core gatedrnn's next call needs, whether it runs on one thread or two (the plan times both ways and keeps the faster). Turning the spinning off (`session.intra_op.allow_spinning = 0`) gives gatedrnn back its alone time and makes onnxruntime's own 2-thread calls several times slower on this machine, so the table keeps onnxruntime's defaults.",
    '',
  );
  return out.join('\n');
}

function writeSessionsReport(sessions, dir) {
  writeAtomic(path.join(dir, 'sessions.json'), `${JSON.stringify(sessions, null, 2)}\n`);
  writeMarkdown(dir, readJson(path.join(dir, 'results.json')), readJson(path.join(dir, 'train-results.json')));
}

function writeReports(results, dir) {
  writeAtomic(path.join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeMarkdown(dir, results, readJson(path.join(dir, 'train-results.json')));
}

function writeTrainingReport(training, dir) {
  writeAtomic(path.join(dir, 'train-results.json'), `${JSON.stringify(training, null, 2)}\n`);
  writeMarkdown(dir, readJson(path.join(dir, 'results.json')), training);
}

function writeServerLoadReport(serverLoad, dir) {
  writeAtomic(path.join(dir, 'server-load.json'), `${JSON.stringify(serverLoad, null, 2)}\n`);
  writeMarkdown(dir, readJson(path.join(dir, 'results.json')), readJson(path.join(dir, 'train-results.json')));
}

module.exports = {
  printTables,
  writeReports,
  writeTrainingReport,
  writeServerLoadReport,
  writeSessionsReport,
  observations,
  configLabel,
  fmtMs,
  fmtDiff,
  readJson,
  contentionMarkdown,
  contentionTargets,
};
