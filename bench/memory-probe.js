// Child process of bench/memory.js: the resident memory of one operator's runs, measured in a
// process of its own so that nothing the benchmark allocated before counts against it.
//
//   node --expose-gc bench/memory-probe.js '{"cell":"GRU","lbr":1,"T":50,"B":64,"I":512,"threads":2,"runs":4}'
//   (with "control":true: the same without gatedrnn, see control())
//
// Prints one line of JSON. Sizes are in KiB, as the kernel reports them.

// First thing, before loading anything: the RSS of node alone, the baseline of the definition.
const nodeAloneKiB = Math.round(process.memoryUsage.rss() / 1024);

const fs = require('node:fs');

/** A field of /proc/self/status in KiB (Linux); null elsewhere. */
function statusKiB(field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const rssKiB = () => Math.round(process.memoryUsage.rss() / 1024);
// VmHWM is the peak RSS so far; getrusage's maxRSS is the same number where /proc is missing.
const peakKiB = () => statusKiB('VmHWM') ?? process.resourceUsage().maxRSS;

/**
 * Resets the kernel's peak-RSS mark to the current RSS (Linux ≥ 4.0), so the peak read after
 * the runs is theirs and not a transient of setup (packing weights allocates temporaries).
 */
function resetPeak() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Lets the previous run's outputs go: a collection, then two turns of the event loop, as a
 * server does between requests. Outputs are V8's own ArrayBuffers, freed by the collection.
 */
async function settle() {
  if (global.gc) global.gc();
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * One run, Y and Y_h only as in the timed runs (an LSTM would add Y_c otherwise); returns their
 * sizes. In a function of its own so that the outputs are unreachable once it returns: a local of
 * main() would stay in its async frame across the await that follows, and the collection between
 * runs could not free it.
 */
function runOnce(op, X, options) {
  const { Y, Y_h } = op.run({ X }, options);
  return { Y: Y.data.byteLength, Y_h: Y_h.data.byteLength };
}

/** The input tensors of a cell, made by the harness as in the timed runs, and their sizes. */
function makeInputs(args) {
  const { makeWeights, makeInput } = require('./tensors');
  const weights = makeWeights(args.cell, args.I, args.I);
  const X = makeInput(args.T, args.B, args.I);
  const bytes = { X: X.data.byteLength, W: weights.W.data.byteLength, R: weights.R.data.byteLength, B: weights.B.data.byteLength };
  return { weights, X, bytes };
}

/**
 * The control: the same process, harness and input tensors, without gatedrnn (engines.js loads
 * the library only when an op is made). Node's own code and the harness's JS heap grow with
 * whatever a process runs; this shows how much of the run memory that is.
 */
async function control(args) {
  require('./engines');
  const inputs = makeInputs(args);
  await settle();
  resetPeak();
  for (let i = 0; i < args.runs; i++) await settle();
  // Read after the settles, so that `inputs` (the tensors) stays reachable through them.
  const inputBytes = Object.values(inputs.bytes).reduce((a, b) => a + b, 0);
  process.stdout.write(`${JSON.stringify({ control: true, inputBytes, nodeAloneKiB, peakKiB: peakKiB() })}\n`);
}

async function main() {
  const args = JSON.parse(process.argv[2]);
  if (args.control) return control(args);
  const { createGatedrnnOp, GATEDRNN_RUN_OPTIONS } = require('./engines');
  const { weights, X, bytes } = makeInputs(args);
  const op = createGatedrnnOp({ cell: args.cell, lbr: args.lbr, threads: args.threads, weights });
  await settle();
  const afterSetupKiB = rssKiB();
  const setupPeakKiB = peakKiB();
  const peakReset = resetPeak();

  let outBytes = null;
  let firstRunPeakKiB = null;
  for (let i = 0; i < args.runs; i++) {
    outBytes = runOnce(op, X, GATEDRNN_RUN_OPTIONS);
    if (i === 0) firstRunPeakKiB = peakKiB();
    await settle();
  }
  // Both peaks are reported; the last is what a process calling `run` repeatedly holds. (They
  // agree within a fraction of a MiB. The freed Y stays in glibc's heap, which raises its mmap
  // threshold after the first large free, but the next Y takes its place.)
  const runsPeakKiB = peakKiB();
  const afterRunsKiB = rssKiB();
  const packedBytes = op.packedBytes;
  op.dispose();

  const tensorBytes = { ...bytes, ...outBytes };
  process.stdout.write(
    `${JSON.stringify({
      tensorBytes,
      packedBytes,
      nodeAloneKiB,
      afterSetupKiB,
      setupPeakKiB,
      peakReset,
      firstRunPeakKiB,
      runsPeakKiB,
      afterRunsKiB,
      gcBetweenRuns: Boolean(global.gc),
    })}\n`,
  );
}

main().catch((err) => {
  console.error(err?.stack ? err.stack : err);
  process.exitCode = 1;
});
