'use strict';
// Turns the results object into a terminal table, bench/results.json and bench/RESULTS.md.
// Files are written atomically (temp file, then rename) so an interrupted run never leaves a
// half-written report behind a good one.

const fs = require('fs');
const path = require('path');

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
    r.verified === false ? `${fmtDiff(r.maxAbsDiff)} unverified` : r.pass === false ? `${fmtDiff(r.maxAbsDiff)} FAIL` : fmtDiff(r.maxAbsDiff),
    fmtLoad(r.otherLoadPct),
  ]);
}

const HEADER = ['cell', 'T×B×I (I=H)', 'engine', 'median ms', 'p10–p90 ms', 'n', 'GFLOP/s', '% peak', 'time ÷ gatedrnn', 'max |Δ| vs gatedrnn', 'other load'];

function textTable(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
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

function printTables(results) {
  for (const t of threadCounts(results)) {
    const rows = results.rows.filter((r) => r.threads === t);
    const peak = results.peak.find((p) => p.threads === t);
    console.log(`\nthreads = ${t}${peak ? `  (measured GEMM peak ${peak.gflops.toFixed(1)} GFLOP/s)` : ''}`);
    console.log(textTable(HEADER, tableCells(rows)));
  }
  for (const ref of results.reference) {
    const ratios = ref.ratios.map((x) => `${x.ratio.toFixed(1)}× vs ${x.threads} thread(s)`).join(', ');
    console.log(`\nreference ${ref.variant} ${configLabel(ref.config)}: ${fmtMs(ref.ms)} ms; fast path is ${ratios}; max |Δ| ${fmtDiff(ref.maxAbsDiff)}`);
  }
  for (const o of results.observations) console.log(`note: ${o}`);
}

/** Things a reader of the numbers should look at first; computed, not hand-written. */
function observations(results) {
  const slower = [];
  const threads = [];
  const async = [];
  const failed = [];
  const find = (r, engineId, t = r.threads) =>
    results.rows.find((x) => x.engineId === engineId && x.variant === r.variant && x.threads === t && configLabel(x.config) === configLabel(r.config));
  const where = (r) => `${r.variant} ${configLabel(r.config)}`;
  for (const r of results.rows) {
    if (r.engineId === 'onnxruntime' && r.ratioVsGatedrnn != null && r.ratioVsGatedrnn < 1) {
      slower.push(`${where(r)}, ${r.threads} thread(s): gatedrnn is ${(1 / r.ratioVsGatedrnn).toFixed(2)}× slower than onnxruntime-node (${fmtMs(find(r, 'gatedrnn').medianMs)} vs ${fmtMs(r.medianMs)} ms)`);
    }
    if (r.engineId === 'gatedrnn' && r.threads > 1) {
      const one = find(r, 'gatedrnn', 1);
      // Within 5% is noise here; beyond it, the second thread costs more than it brings.
      if (one && one.medianMs * 1.05 < r.medianMs) threads.push(`${where(r)}: gatedrnn on ${r.threads} threads is slower than on 1 (${fmtMs(r.medianMs)} vs ${fmtMs(one.medianMs)} ms)`);
    }
    if (r.engineId === 'gatedrnn-async') {
      const sync = find(r, 'gatedrnn');
      if (sync) async.push(`runAsync overhead, ${where(r)}, ${r.threads} thread(s): ${((r.medianMs - sync.medianMs) * 1e3).toFixed(0)} µs per call (${fmtMs(r.medianMs)} vs ${fmtMs(sync.medianMs)} ms for run)`);
    }
    if (r.pass === false) failed.push(`${r.engine}, ${where(r)}, ${r.threads} thread(s): outputs differ from gatedrnn by ${fmtDiff(r.maxAbsDiff)} (limit ${results.tolerance})`);
  }
  for (const ref of results.reference) {
    for (const x of ref.ratios) if (x.ratio < 10) failed.push(`reference ${ref.variant}: the fast path is only ${x.ratio.toFixed(1)}× faster at ${x.threads} thread(s) (want ≥ 10×)`);
  }
  return [...failed, ...slower, ...threads, ...async];
}

function markdown(results) {
  const m = results.machine;
  const out = [];
  out.push('# gatedrnn benchmark results', '');
  const command = `npm run bench${results.argv.length ? ` -- ${results.argv.join(' ')}` : ''}`;
  out.push(`Generated by \`${command}\` on ${results.date} (${results.mode} run, ${results.durationS.toFixed(0)} s). Do not edit by hand.`, '');
  out.push(`- Machine: ${m.cpuModel}, ${m.cores} logical cores, ${m.totalMemGiB.toFixed(0)} GiB; ${m.platform}-${m.arch}; Node ${m.node}`);
  const addon = results.addon ? ` (${results.addon.path} built ${results.addon.mtime}, sha256 ${results.addon.sha256})` : '';
  out.push(`- gatedrnn ${results.backend.version}${addon}: isa ${results.backend.isa}, openmp ${results.backend.openmp}, cuda ${results.backend.cuda}; onnxruntime-node ${results.versions['onnxruntime-node']}; benchmark.js ${results.versions.benchmark}`);
  out.push(`- Load average (1 min) at start / end: ${m.loadavgStart.toFixed(2)} / ${m.loadavgEnd.toFixed(2)} — other jobs share these cores, so read ratios, not absolute times.`);
  out.push('');
  out.push('## How it is measured', '');
  out.push('- One forward pass of a single-layer, forward-direction cell; X is [T, B, I], I = H. FLOPs = 2·T·B·G·H·(I+H) with G = 3 (GRU) or 4 (LSTM).');
  out.push('- GRU is linear_before_reset=1 (what PyTorch exports) unless the cell says lbr=0. onnxruntime-node runs a one-node ONNX model built by bench/onnx-model.js; gatedrnn returns Y and Y_h only, like that model.');
  out.push(`- Engines of one configuration are timed in the same process, interleaved: ${results.options.rounds} rounds of benchmark.js, order reversed every other round and every other configuration; samples pooled; median and 10th/90th percentile of per-call time. gatedrnn \`run\` is timed synchronously, onnxruntime-node's \`session.run\` and gatedrnn's \`runAsync\` as deferred benchmarks.`);
  out.push('- onnxruntime-node sessions: intraOpNumThreads = threads, interOpNumThreads 1, sequential, graphOptimizationLevel all.');
  out.push(`- Before timing, every engine's output is compared with gatedrnn's: max |Δ| over Y and Y_h, limit ${results.tolerance}.`);
  out.push('- "time ÷ gatedrnn" is the engine\'s median over gatedrnn\'s at the same cell, configuration and thread count: above 1 means gatedrnn is faster.');
  out.push(`- "other load" is the share of the machine\'s CPU time that other processes used while a configuration was timed (from /proc/stat): rows above ~10% were measured on a busy machine and their absolute times, and two-thread times most of all, are pessimistic. A configuration timed at over ${results.retryLoadPct}% is timed again once the machine is quiet, within a waiting budget of ${results.options.settleS} s for the whole run, and the quieter timing is kept.`);
  out.push('- "% peak" is GFLOP/s over the measured FMA peak at the same thread count (below).');
  if (results.rows.some((r) => r.engineId === 'tfjs' || r.engineId === 'brain')) {
    out.push('- tfjs (CPU backend, pure JS) and brain.js are single-threaded JavaScript; they are measured once, in the 1-thread table, at small configurations only. They are timed by a few plain calls when one call takes over 0.25 s; "(1 call)" means the output-checked call itself (after a warm-up on T/20 steps) was the only one that fit the time budget.');
  }
  out.push('');
  out.push('## Measured FMA peak', '');
  out.push("The addon's FMA loop (`fmaPeak`: 12 independent 16-lane multiply-adds per round, with the kernels in use) on each thread count, median of 7 calls, at the start and at the end of the run; the higher is used. PERF-NOTES.md quotes about 116 GFLOP/s on one core and 228 on two on this machine type.", '');
  const peakCell = (run) => (run ? `${fmt(run.gflops, 1)} (other load ${fmtLoad(run.otherLoadPct)})` : '—');
  if (results.peak.length === 0) out.push('Not measured (--no-peak); "% peak" is empty.');
  else out.push(markdownTable(['threads', 'GFLOP/s at start', 'GFLOP/s at end', 'GFLOP/s used'], results.peak.map((p) => [String(p.threads), peakCell(p.runs[0]), peakCell(p.runs[1]), fmt(p.gflops, 1)]), 1));
  out.push('');
  for (const t of threadCounts(results)) {
    out.push(`## ${t} thread${t > 1 ? 's' : ''}`, '');
    out.push(markdownTable(HEADER, tableCells(results.rows.filter((r) => r.threads === t))));
    out.push('');
  }
  out.push('## Scalar reference oracle', '');
  if (results.reference.length === 0) out.push('Not run (--no-reference).');
  else {
    out.push('native/reference (plain scalar code, one thread) against the fast path on the same input; ratio = reference time ÷ gatedrnn median.', '');
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
    out.push(markdownTable(['cell', 'T×B×I', 'reference ms', ...threadCounts(results).map((t) => `ratio vs ${t} thr`), 'max |Δ|'], body, 2));
  }
  out.push('');
  out.push('## Output check', '');
  const checked = results.rows.filter((r) => r.engineId !== 'gatedrnn' && r.maxAbsDiff != null && r.verified !== false);
  const worst = checked.reduce((w, r) => (w == null || !(r.maxAbsDiff <= w.maxAbsDiff) ? r : w), null);
  const failed = checked.filter((r) => r.pass === false);
  out.push(`${checked.length} engine/configuration pairs compared with gatedrnn; ${failed.length} over the ${results.tolerance} limit.` + (worst ? ` Largest difference: ${fmtDiff(worst.maxAbsDiff)} (${worst.engine}, ${worst.variant} ${configLabel(worst.config)}, ${worst.threads} thread(s)).` : ''));
  const unverified = results.rows.filter((r) => r.verified === false);
  if (unverified.length) out.push('', `Not comparable, timed only: ${[...new Set(unverified.map((r) => `${r.engine} ${r.variant} (${r.note})`))].join('; ')}.`);
  if (results.skipped.length) {
    out.push('', '## Skipped', '');
    for (const s of results.skipped) out.push(`- ${s}`);
  }
  if (results.observations.length) {
    out.push('', '## Observations (computed)', '');
    for (const o of results.observations) out.push(`- ${o}`);
  }
  out.push('');
  return out.join('\n');
}

function writeReports(results, dir) {
  writeAtomic(path.join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeAtomic(path.join(dir, 'RESULTS.md'), markdown(results));
}

module.exports = { printTables, writeReports, observations, configLabel, fmtMs, fmtDiff };
