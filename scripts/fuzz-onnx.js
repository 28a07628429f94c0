#!/usr/bin/env node
// Fuzzes loadOnnx: models with changed attributes, parameters, wiring, ops or opsets, and
// mutated, truncated, spliced and random files must each either load (and then run on small
// random feeds or throw an Error) or throw an Error: never crash, hang or exhaust memory.
// test/onnx/errors.test.ts runs a fixed-seed CI-sized set through `fuzz`; `npm run fuzz -- onnx
// [cases] [seed]` runs many more against dist/ and reports any non-Error throw.

const fs = require('node:fs');
const path = require('node:path');

const { prng: rng } = require(path.join(__dirname, '..', 'bench', 'tensors'));

/** The .onnx files the fuzzer starts from: the committed fixtures and conformance models. */
function seedFiles(root) {
  const files = [];
  const fixtures = path.join(root, 'test', 'fixtures', 'onnx');
  for (const f of fs.readdirSync(fixtures).sort()) if (f.endsWith('.onnx')) files.push(path.join(fixtures, f));
  const conformance = path.join(root, 'test', 'fixtures', 'conformance', 'onnx-node');
  for (const d of fs.readdirSync(conformance).sort()) files.push(path.join(conformance, d, 'model.onnx'));
  return files.map((f) => new Uint8Array(fs.readFileSync(f)));
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x1a, 0x22, 0x3a, 0x42];

/** One mutation of `bytes` (a fresh array), chosen by `next`. */
function mutate(next, bytes, others) {
  const pick = (n) => Math.floor(next() * n);
  const kind = pick(7);
  const out = Uint8Array.from(bytes);
  switch (kind) {
    case 0: // truncate
      return out.slice(0, pick(out.length));
    case 1: // flip a few bytes
      for (let k = 1 + pick(8); k > 0; k--) out[pick(out.length)] = pick(256);
      return out;
    case 2: // protobuf-significant values (tags, varint continuation, lengths)
      for (let k = 1 + pick(4); k > 0; k--) out[pick(out.length)] = INTERESTING[pick(INTERESTING.length)];
      return out;
    case 3: {
      // insert random bytes
      const at = pick(out.length);
      const extra = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
      return Uint8Array.from([...out.slice(0, at), ...extra, ...out.slice(at)]);
    }
    case 4: {
      // splice another file's tail onto this one's head
      const other = others[pick(others.length)];
      return Uint8Array.from([...out.slice(0, pick(out.length)), ...other.slice(pick(other.length))]);
    }
    case 5: {
      // a huge varint where a length or dim may be
      const at = pick(out.length - 10);
      out.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], Math.max(at, 0));
      return out;
    }
    default: // random bytes
      return Uint8Array.from({ length: pick(256) }, () => pick(256));
  }
}

const EDGE_INTS = [-1n, 0n, 1n, 2n, 3n, -2n, 7n, 2n ** 31n, -(2n ** 31n), 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)];

/**
 * One change to the decoded model that keeps it well-formed protobuf, so the loader's checks
 * and the ops' own (attributes, shape parameters, graph structure) are what meet it.
 */
function mutateModel(next, bytes, codec, opTypes) {
  const pick = (n) => Math.floor(next() * n);
  const any = (list) => list[pick(list.length)];
  const m = codec.decodeModel(bytes);
  const g = m.graph;
  const nodes = g.node;
  const names = [...g.input.map((v) => v.name), ...g.initializer.map((t) => t.name), ...nodes.flatMap((n) => n.output)];
  switch (pick(8)) {
    case 0: {
      // an int attribute to an edge value
      const attrs = nodes.flatMap((n) => n.attribute).filter((a) => a.i !== undefined || a.ints.length > 0);
      if (attrs.length === 0) break;
      const a = any(attrs);
      if (a.i !== undefined) a.i = any(EDGE_INTS);
      else a.ints[pick(a.ints.length)] = any(EDGE_INTS);
      break;
    }
    case 1: // another op
      if (nodes.length > 0) any(nodes).op_type = any(opTypes);
      break;
    case 2: {
      // an int64 initializer's values (axes, shapes, starts) to edge values
      const ints = g.initializer.filter((t) => t.data_type === 7);
      if (ints.length === 0) break;
      const t = any(ints);
      const n = t.dims.reduce((a, b) => a * b, 1);
      const values = BigInt64Array.from({ length: n }, () => any(EDGE_INTS));
      t.raw_data = new Uint8Array(values.buffer);
      t.int64_data = new BigInt64Array(0);
      break;
    }
    case 3: // a node input rewired to any value (cycles, wrong types, wrong ranks)
      if (nodes.length > 0) {
        const n = any(nodes);
        if (n.input.length > 0) n.input[pick(n.input.length)] = any([...names, '', 'missing']);
      }
      break;
    case 4: // a node dropped
      if (nodes.length > 0) nodes.splice(pick(nodes.length), 1);
      break;
    case 5: // another opset
      m.opset_import = [{ domain: '', version: 5 + pick(20) }];
      break;
    case 6: {
      // a declared input dim changed
      const dims = g.input.flatMap((v) => v.type?.tensor_type?.shape?.dim ?? []);
      if (dims.length > 0) {
        const d = any(dims);
        delete d.dim_param;
        d.dim_value = any([0, 1, 2, 3, 5, 64]);
      }
      break;
    }
    default: {
      // an initializer's dims permuted (data kept: the same count)
      if (g.initializer.length === 0) break;
      const t = any(g.initializer);
      t.dims.reverse();
    }
  }
  return codec.encodeModel(m);
}

function randomFeeds(next, session, lib) {
  const feeds = {};
  session.inputMetadata.forEach((m) => {
    const dims = (m.shape || [2]).map((d) => (typeof d === 'number' ? Math.min(d, 16) : 2));
    const n = dims.reduce((a, b) => a * b, 1);
    const type = m.type || 'float32';
    const data =
      type === 'int64'
        ? BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 3)))
        : type === 'int32'
          ? Int32Array.from({ length: n }, () => Math.floor(next() * 3))
          : Float32Array.from({ length: n }, () => next() * 2 - 1);
    feeds[m.name] = new lib.Tensor(type, data, dims);
  });
  return feeds;
}

/**
 * Runs `cases` fuzz cases against `lib` (gatedrnn's exports). Returns counts and the failures:
 * anything thrown that is not an Error, with the case's bytes to reproduce it.
 */
function fuzz(lib, { cases, seed, root, codec, opTypes, runModels = true }) {
  const next = rng(seed);
  const seeds = seedFiles(root);
  const result = { loaded: 0, ran: 0, rejected: 0, failures: [] };
  for (let k = 0; k < cases; k++) {
    const base = seeds[Math.floor(next() * seeds.length)];
    // Half the cases change the model's meaning, half its bytes.
    const bytes = next() < 0.5 ? mutateModel(next, base, codec, opTypes) : mutate(next, base, seeds);
    let session;
    try {
      session = new lib.OnnxSession(bytes);
      result.loaded++;
    } catch (e) {
      if (e instanceof Error) result.rejected++;
      else result.failures.push({ case: k, stage: 'load', thrown: e, bytes });
      continue;
    }
    if (!runModels) continue;
    try {
      session.runSync(randomFeeds(next, session, lib));
      result.ran++;
    } catch (e) {
      if (!(e instanceof Error)) result.failures.push({ case: k, stage: 'run', thrown: e, bytes });
    } finally {
      session.dispose();
    }
  }
  return result;
}

module.exports = { fuzz, mutate, mutateModel, rng };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const cases = Number(process.argv[2] || 100000);
  const seed = Number(process.argv[3] || Date.now() % 2 ** 31);
  const lib = require(path.join(root, 'dist'));
  const codec = require(path.join(root, 'dist', 'onnx', 'schema.js'));
  const { SUPPORTED_OPS } = require(path.join(root, 'dist', 'onnx', 'ops', 'index.js'));
  const t0 = Date.now();
  const r = fuzz(lib, { cases, seed, root, codec, opTypes: [...SUPPORTED_OPS, 'Scan'] });
  console.log(
    `fuzz-onnx: ${cases} cases (seed ${seed}) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${r.rejected} rejected with an Error, ${r.loaded} loaded, ${r.ran} of those ran`,
  );
  for (const f of r.failures.slice(0, 10)) {
    const file = path.join(require('node:os').tmpdir(), `fuzz-onnx-${seed}-${f.case}.onnx`);
    fs.writeFileSync(file, f.bytes);
    console.log(`  case ${f.case} (${f.stage}) threw a non-Error ${String(f.thrown)}; bytes in ${file}`);
  }
  process.exitCode = r.failures.length > 0 ? 1 : 0;
}
