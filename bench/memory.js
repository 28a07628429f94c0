// Peak memory of a B=64 run against what it must hold: the speed issue's "peak RSS of the B=64
// run ≤ 1.2× its tensors plus packed weights". Each cell is measured by bench/memory-probe.js in
// a fresh node process: this one has the benchmark's ops, inputs and ORT sessions resident.

const path = require('node:path');
const { spawnSync } = require('node:child_process');

const MEMORY = { config: { T: 50, B: 64, I: 512 }, threads: 2, target: 1.2 };
const PROBE = path.join(__dirname, 'memory-probe.js');

/** One probe process (args.control: the control, without gatedrnn); returns its report. */
function spawnProbe(args, variant) {
  // --expose-gc: the probe collects between runs, so the peak is one run's and not how much
  // garbage V8 chose to keep.
  const child = spawnSync(process.execPath, ['--expose-gc', PROBE, JSON.stringify(args)], { encoding: 'utf8', timeout: 120e3 });
  if (child.error) throw child.error;
  if (child.status !== 0)
    throw new Error(`memory probe for ${variant} exited with ${child.status ?? child.signal}: ${child.stderr.trim()}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

/** One cell: its probe and its control; returns the report with the ratio worked out. */
function probe(v, runs) {
  const args = { cell: v.cell, lbr: v.lbr, ...MEMORY.config, threads: MEMORY.threads, runs };
  const r = spawnProbe(args, v.variant);
  const control = spawnProbe({ ...args, control: true }, `${v.variant} (control)`);
  const tensors = Object.values(r.tensorBytes).reduce((a, b) => a + b, 0);
  const needed = tensors + r.packedBytes;
  // The run's memory: peak RSS minus the RSS of node alone (library, inputs, op, scratch, outputs).
  const runBytes = (r.runsPeakKiB - r.nodeAloneKiB) * 1024;
  const firstRunBytes = (r.firstRunPeakKiB - r.nodeAloneKiB) * 1024;
  const ratio = runBytes / needed;
  // The control's peak RSS is node, the harness and the input tensors without gatedrnn: the peak
  // above it is what gatedrnn added (library, packed weights, scratch, outputs).
  const controlKiB = control.peakKiB;
  const gatedrnnBytes = (r.runsPeakKiB - controlKiB) * 1024;
  return {
    variant: v.variant,
    cell: v.cell,
    runs,
    ...r,
    controlKiB,
    gatedrnnBytes,
    // The same ratio with the control as the baseline: the input tensors, which the control
    // holds too, count again as what the run must hold.
    controlRatio: (gatedrnnBytes + control.inputBytes) / needed,
    tensorsTotalBytes: tensors,
    neededBytes: needed,
    runBytes,
    ratio,
    firstRunRatio: firstRunBytes / needed,
    met: ratio <= MEMORY.target,
  };
}

function measureMemory(variants, { runs }) {
  return {
    config: { ...MEMORY.config, H: MEMORY.config.I },
    threads: MEMORY.threads,
    target: MEMORY.target,
    cells: variants.map((v) => probe(v, runs)),
  };
}

module.exports = { measureMemory, MEMORY };
