#!/usr/bin/env node
// Checks that native/ includes only downwards: every `#include "..."` under native/ must name a
// file of its own folder or of a lower layer. Layers, bottom-up (a folder directly under native/):
//   0  common              shared types: the operator spec, aligned buffers
//   1  cpu, reference      kernels, thread pool; the scalar reference
//   2  rnn                 the recurrent passes and their schedule
//   3  plan, cuda          fused plans of operators; the CUDA engine
//   4  napi                the Node-API surface (a file directly in native/ counts as napi)
// Folders of one layer do not include each other. native/test may include anything.
// Exit status 1, with one line per offending include, when the rule is broken.

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', 'native');
const LAYERS = { common: 0, cpu: 1, reference: 1, rnn: 2, plan: 3, cuda: 3, napi: 4 };
const SOURCE = /\.(c|cc|cpp|cu|cuh|h|hpp|inc)$/;

// The folder that decides a file's layer: its first folder under native/, or napi for a file
// directly in native/.
function folderOf(file) {
  const parts = path.relative(root, file).split(path.sep);
  return parts.length === 1 ? 'napi' : parts[0];
}

function sources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(full));
    else if (SOURCE.test(entry.name)) out.push(full);
  }
  return out;
}

// An include resolves against the including file's folder first, then native/ (the include
// path the build sets); one that names no file under native/ (a system or SDK header) is skipped.
function resolveInclude(from, name) {
  for (const base of [path.dirname(from), root]) {
    const full = path.resolve(base, name);
    if (full.startsWith(root + path.sep) && fs.existsSync(full)) return full;
  }
  return null;
}

function check() {
  const problems = [];
  for (const file of sources(root)) {
    const from = folderOf(file);
    if (from === 'test') continue;
    const rel = path.relative(path.dirname(root), file);
    if (!(from in LAYERS)) {
      problems.push(`${rel}: folder native/${from}/ has no layer; add it to LAYERS in scripts/check-native-layers.js`);
      continue;
    }
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m = /^\s*#\s*include\s+"([^"]+)"/.exec(line);
      if (!m) return;
      const target = resolveInclude(file, m[1]);
      if (!target) return;
      const to = folderOf(target);
      if (to === from) return;
      const where = `${rel}:${i + 1}: includes "${m[1]}"`;
      if (!(to in LAYERS)) {
        problems.push(`${where} from native/${to}/, which no layer may include`);
      } else if (LAYERS[to] > LAYERS[from]) {
        problems.push(`${where}: ${from} (layer ${LAYERS[from]}) may not include ${to} (layer ${LAYERS[to]}), a higher layer`);
      } else if (LAYERS[to] === LAYERS[from]) {
        problems.push(`${where}: ${from} and ${to} are one layer; neither includes the other`);
      }
    });
  }
  return problems;
}

if (require.main === module) {
  const problems = check();
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`check-native-layers: ${problems.length} include(s) break the layering (see the top of scripts/check-native-layers.js)`);
    process.exit(1);
  }
  console.log('check-native-layers: every include under native/ goes downwards');
}

module.exports = { check, LAYERS };
