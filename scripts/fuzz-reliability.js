#!/usr/bin/env node
// Fuzzes the reliability classes against dist/: each case must end in a result or an Error (for
// a run over its budget, a RangeError), within memory proportional to its input, never a crash,
// a hang or a non-Error throw.
//   lying     .gatedrnn files whose headers lie: configs that claim huge layers, odd values in
//             every config field, array entries that overlap, repeat or leave the payload,
//             unknown optimizer, loss and metric names
//   growth    ONNX graphs that grow a tiny input (Concat doubling and tripling, Expand, elementwise
//             chains) under a random maxRunBytes
//   tokens    long adversarial texts through the mail tokenizer (runs of word characters, '<',
//             '@', '.', apostrophes, digits)
//   race      worker threads rewriting sequenceLens, X and initialH during run and runAsync
//             (test/helpers/race-child.js, in a child process)
// test/fuzz-reliability.test.ts runs a fixed-seed CI-sized set; `npm run fuzz -- reliability
// [cases] [seed]` runs more. Prints a summary; exit status 1 when a case failed.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const { prng } = require(path.join(root, 'bench', 'tensors'));
const MiB = 2 ** 20;

function crc32(bytes, crc = 0) {
  let c = ~crc;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

/** A .gatedrnn file's header and payload, and back (the format of lib/model/io.ts). */
function parseModelFile(bytes) {
  const headerLen = bytes.readUInt32LE(12);
  return { header: JSON.parse(bytes.subarray(24, 24 + headerLen).toString('utf8')), payload: bytes.subarray(24 + headerLen) };
}
function buildModelFile(header, payload) {
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length % 4) json = Buffer.concat([json, Buffer.alloc(4 - (json.length % 4), 0x20)]);
  const pre = Buffer.alloc(24);
  pre.write('GATEDRNN', 0, 'latin1');
  pre.writeUInt32LE(1, 8);
  pre.writeUInt32LE(json.length, 12);
  pre.writeUInt32LE(payload.length, 16);
  pre.writeUInt32LE(crc32(payload, crc32(json)), 20);
  return Buffer.concat([pre, json, payload]);
}

const ODD_NUMBERS = [0, -1, 1.5, 3000, 3e7, 1e9, 2 ** 31, 2 ** 53, 1e308, null, 'x', true, [], {}];
const ODD_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'lbfgs', '', 'ADAM', 'adam', 'accuracy'];

/** Every [object, key] pair under `o` whose value is a number. */
function numericFields(o, out = []) {
  if (o && typeof o === 'object') {
    for (const k of Object.keys(o)) {
      if (typeof o[k] === 'number') out.push([o, k]);
      else numericFields(o[k], out);
    }
  }
  return out;
}

async function lyingCase(g, dist, seeds, dir, index) {
  const pick = (a) => a[Math.floor(g() * a.length)];
  const { header, payload } = parseModelFile(pick(seeds));
  const h = JSON.parse(JSON.stringify(header));
  const floats = payload.length / 4;
  const mutations = 1 + Math.floor(g() * 3);
  for (let m = 0; m < mutations; m++) {
    const kind = Math.floor(g() * 4);
    if (kind === 0) {
      const fields = numericFields(h.model);
      if (fields.length) {
        const [o, k] = pick(fields);
        o[k] = pick(ODD_NUMBERS);
      }
    } else if (kind === 1) {
      const extra = Math.floor(g() * 50);
      for (let k = 0; k < extra; k++) {
        const offset = Math.floor(g() * (floats + 2)) - (g() < 0.05 ? 1 : 0);
        h.arrays.push({ name: g() < 0.3 ? pick(h.arrays).name : `extra${k}`, offset, length: Math.floor(g() * floats) });
      }
    } else if (kind === 2 && h.compile) {
      const which = pick(['optimizer', 'loss', 'metrics']);
      if (which === 'metrics') h.compile.metrics = [pick(ODD_NAMES)];
      else if (h.compile[which]) h.compile[which].name = pick(ODD_NAMES);
    } else if (kind === 3) {
      const e = pick(h.arrays);
      e.length = pick([0, e.length + 1, floats, 2 ** 31, -5]);
    }
  }
  const file = path.join(dir, `case${index}.gatedrnn`);
  fs.writeFileSync(file, buildModelFile(h, payload));
  try {
    const model = await dist.loadModel(file);
    model.dispose();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof Error)) throw new Error(`lying: a non-Error was thrown: ${String(e)}`);
    return 'refused';
  }
}

function growthModel(g, dist) {
  const b = new dist.OnnxGraphBuilder('growth');
  let v = b.input('x', 'float32', [2]);
  const steps = 3 + Math.floor(g() * 28);
  for (let k = 0; k < steps; k++) {
    const kind = Math.floor(g() * 5);
    if (kind === 0) [v] = b.node('Concat', [v, v], [`s${k}`], { axis: 0 });
    else if (kind === 1) [v] = b.node(g() < 0.5 ? 'Add' : 'Mul', [v, v], [`s${k}`]);
    else if (kind === 2) {
      // [k] -> [k, 1] -> Expand to [k, n] -> [k * n]
      const column = b.initializer(`column${k}`, new dist.Tensor('int64', BigInt64Array.from([-1n, 1n]), [2]));
      const shape = b.initializer(
        `shape${k}`,
        new dist.Tensor('int64', BigInt64Array.from([1n, BigInt(1 + Math.floor(g() * 2 ** (g() * 24)))]), [2]),
      );
      const flat = b.initializer(`flat${k}`, new dist.Tensor('int64', BigInt64Array.from([-1n]), [1]));
      const [col] = b.node('Reshape', [v, column], [`c${k}`]);
      const [grown] = b.node('Expand', [col, shape], [`e${k}`]);
      [v] = b.node('Reshape', [grown, flat], [`s${k}`]);
    } else if (kind === 3) {
      [v] = b.node('Concat', [v, v, v], [`s${k}`], { axis: 0 });
    } else {
      [v] = b.node('Abs', [v], [`s${k}`]);
    }
  }
  b.output(v, 'float32');
  return b.build();
}

async function growthCase(g, dist) {
  const maxRunBytes = Math.floor((1 + g() * 63) * MiB);
  const session = await dist.loadOnnx(growthModel(g, dist), { maxRunBytes });
  const x = new dist.Tensor('float32', new Float32Array([1, 2]), [2]);
  try {
    if (g() < 0.5) await session.run({ x });
    else session.runSync({ x });
    return 'ran';
  } catch (e) {
    if (!(e instanceof RangeError)) throw new Error(`growth: expected a RangeError, but received ${e?.constructor?.name}: ${e?.message}`);
    return 'refused';
  } finally {
    session.dispose();
  }
}

const ALPHABETS = ['a', 'ab', '<', '<a', '@', 'a@', 'a.', 'a@b.', "a'", '0.', '0,1', '&a', 'a+b-c.d@', 'http://a', ' '];

function tokensCase(g, dist) {
  const n = Math.floor(g() * 256 * 1024);
  const parts = [];
  let length = 0;
  while (length < n) {
    const unit = ALPHABETS[Math.floor(g() * ALPHABETS.length)];
    const repeat = 1 + Math.floor(g() ** 3 * 100000);
    parts.push(unit.repeat(repeat));
    length += unit.length * repeat;
  }
  const tokens = dist.tokenizeMail(parts.join('').slice(0, n));
  if (!Array.isArray(tokens)) throw new Error('tokens: tokenizeMail returned no array');
  return 'tokenized';
}

function raceCase(calls) {
  const r = spawnSync(process.execPath, [path.join(root, 'test', 'helpers', 'race-child.js'), String(calls)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0)
    throw new Error(`race: the child ended with ${r.signal ? `signal ${r.signal}` : `exit ${r.status}`}: ${(r.stderr || '').slice(-400)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  if (out.wrong.length || out.unexpected.length) throw new Error(`race: ${[...out.wrong, ...out.unexpected].join('; ')}`);
  return 'survived';
}

/**
 * Runs `cases` cases of each class from `seed`; resolves to { counts, failures, peakRssMiB, growthRssMiB, seconds }.
 * growthRssMiB is the peak over the RSS at the start: in a shared process (a test runner's worker) the peak
 * also holds whatever ran there before.
 */
async function fuzzReliability({ cases = 200, seed = 1, classes = ['lying', 'growth', 'tokens', 'race'], raceCalls = 500 } = {}) {
  const dist = { ...require(path.join(root, 'dist')), tokenizeMail: require(path.join(root, 'dist', 'data', 'spam')).tokenizeMail };
  const g = prng(seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-fuzz-'));
  const counts = {};
  const failures = [];
  const start = process.memoryUsage().rss;
  let peak = start;
  const t0 = Date.now();
  const note = (cls, outcome) => {
    counts[cls] = counts[cls] || {};
    counts[cls][outcome] = (counts[cls][outcome] || 0) + 1;
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  try {
    const seeds = [];
    if (classes.includes('lying')) {
      const models = [
        dist.sequential([
          dist.layers.embedding({ inputDim: 20, outputDim: 4 }),
          dist.layers.gru({ units: 8 }),
          dist.layers.dense({ units: 3, activation: 'softmax' }),
        ]),
        dist.sequential([dist.layers.lstm({ units: 6, returnSequences: true }), dist.layers.dense({ units: 2 })]),
      ];
      models[0].build([5]);
      models[1].build([4, 3]);
      models[0].compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      for (const [k, m] of models.entries()) {
        const file = path.join(dir, `seed${k}.gatedrnn`);
        await m.save(file);
        seeds.push(fs.readFileSync(file));
        m.dispose();
      }
    }
    for (let k = 0; k < cases; k++) {
      for (const cls of classes) {
        if (cls === 'race') continue;
        try {
          const outcome =
            cls === 'lying' ? await lyingCase(g, dist, seeds, dir, k) : cls === 'growth' ? await growthCase(g, dist) : tokensCase(g, dist);
          note(cls, outcome);
        } catch (e) {
          failures.push(`${cls} case ${k} (seed ${seed}): ${e?.message}`);
        }
      }
    }
    if (classes.includes('race')) {
      try {
        note('race', raceCase(raceCalls));
      } catch (e) {
        failures.push(e.message);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    counts,
    failures,
    peakRssMiB: Math.round(peak / MiB),
    growthRssMiB: Math.round((peak - start) / MiB),
    seconds: (Date.now() - t0) / 1000,
  };
}

module.exports = { fuzzReliability, parseModelFile, buildModelFile };

if (require.main === module) {
  const cases = Number(process.argv[2] || 200);
  const seed = Number(process.argv[3] || 1);
  fuzzReliability({ cases, seed, raceCalls: 2000 }).then((r) => {
    console.log(`fuzz-reliability: ${cases} cases per class, seed ${seed}, ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMiB} MiB`);
    for (const [cls, outcomes] of Object.entries(r.counts))
      console.log(
        `  ${cls.padEnd(7)} ${Object.entries(outcomes)
          .map(([o, n]) => `${n} ${o}`)
          .join(', ')}`,
      );
    for (const f of r.failures) console.log(`  FAILED ${f}`);
    process.exit(r.failures.length ? 1 : 0);
  });
}
