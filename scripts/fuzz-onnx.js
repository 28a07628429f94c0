#!/usr/bin/env node
// Fuzzes loadOnnx: mutated, truncated, spliced and random files must each either load (and then
// run on small random feeds or throw an Error) or throw an Error: never crash, hang or exhaust
// memory. test/onnx-fuzz.test.ts runs a fixed-seed CI-sized set through `fuzz`;
// `npm run fuzz -- [cases] [seed]` runs many more against dist/ and reports any non-Error throw.
'use strict';
const fs = require('fs');
const path = require('path');

/** mulberry32 */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The .onnx files the fuzzer starts from: the committed fixtures and conformance models. */
function seedFiles(root) {
  const files = [];
  const fixtures = path.join(root, 'test', 'fixtures', 'onnx');
  for (const f of fs.readdirSync(fixtures).sort()) if (f.endsWith('.onnx')) files.push(path.join(fixtures, f));
  const conformance = path.resolve(root, '..', 'shared', 'conformance', 'onnx-node');
  if (fs.existsSync(conformance)) for (const d of fs.readdirSync(conformance).sort()) files.push(path.join(conformance, d, 'model.onnx'));
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
    case 3: { // insert random bytes
      const at = pick(out.length);
      const extra = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
      return Uint8Array.from([...out.slice(0, at), ...extra, ...out.slice(at)]);
    }
    case 4: { // splice another file's tail onto this one's head
      const other = others[pick(others.length)];
      return Uint8Array.from([...out.slice(0, pick(out.length)), ...other.slice(pick(other.length))]);
    }
    case 5: { // a huge varint where a length or dim may be
      const at = pick(out.length - 10);
      out.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], Math.max(at, 0));
      return out;
    }
    default: // random bytes
      return Uint8Array.from({ length: pick(256) }, () => pick(256));
  }
}

function randomFeeds(next, session, lib) {
  const feeds = {};
  session.inputMetadata.forEach((m) => {
    const dims = (m.shape || [2]).map((d) => (typeof d === 'number' ? Math.min(d, 16) : 2));
    const n = dims.reduce((a, b) => a * b, 1);
    const type = m.type || 'float32';
    const data = type === 'int64' ? BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 3))) : type === 'int32' ? Int32Array.from({ length: n }, () => Math.floor(next() * 3)) : Float32Array.from({ length: n }, () => next() * 2 - 1);
    feeds[m.name] = new lib.Tensor(type, data, dims);
  });
  return feeds;
}

/**
 * Runs `cases` fuzz cases against `lib` (gatedrnn's exports). Returns counts and the failures:
 * anything thrown that is not an Error, with the case's bytes to reproduce it.
 */
function fuzz(lib, { cases, seed, root, runModels = true }) {
  const next = rng(seed);
  const seeds = seedFiles(root);
  const result = { loaded: 0, ran: 0, rejected: 0, failures: [] };
  for (let k = 0; k < cases; k++) {
    const base = seeds[Math.floor(next() * seeds.length)];
    const bytes = mutate(next, base, seeds);
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

module.exports = { fuzz, mutate, rng };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const cases = Number(process.argv[2] || 100000);
  const seed = Number(process.argv[3] || Date.now() % 2 ** 31);
  const lib = require(path.join(root, 'dist'));
  const t0 = Date.now();
  const r = fuzz(lib, { cases, seed, root });
  console.log(`fuzz-onnx: ${cases} cases (seed ${seed}) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${r.rejected} rejected with an Error, ${r.loaded} loaded, ${r.ran} of those ran`);
  for (const f of r.failures.slice(0, 10)) {
    const file = path.join(require('os').tmpdir(), `fuzz-onnx-${seed}-${f.case}.onnx`);
    fs.writeFileSync(file, f.bytes);
    console.log(`  case ${f.case} (${f.stage}) threw a non-Error ${String(f.thrown)}; bytes in ${file}`);
  }
  process.exitCode = r.failures.length > 0 ? 1 : 0;
}
