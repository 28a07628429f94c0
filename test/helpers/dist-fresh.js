// Whether dist/ (what child-process tests, the CLI and `npm run fuzz` load) is built from the
// lib/ that the in-process tests load. Plain CommonJS: jest's globalSetup runs it untransformed.

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

function files(dir, keep) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p, keep) : keep(e.name) ? [p] : [];
  });
}

/**
 * The sources of dist/ (lib/**, binding.d.ts, tsconfig.json, scripts/make-esm.js) modified after
 * its oldest output, and the outputs that are missing; empty when dist/ is up to date.
 */
function staleDist() {
  const sources = [
    ...files(path.join(root, 'lib'), (n) => n.endsWith('.ts')),
    ...['binding.d.ts', 'tsconfig.json', path.join('scripts', 'make-esm.js')].map((f) => path.join(root, f)),
  ];
  const outputs = files(path.join(root, 'dist'), (n) => /\.(m?js|d\.m?ts)$/.test(n));
  const expected = sources
    .filter((s) => s.startsWith(path.join(root, 'lib') + path.sep) && !s.endsWith('.d.ts'))
    .map((s) => path.join(root, 'dist', path.relative(path.join(root, 'lib'), s)).replace(/\.ts$/, '.js'));
  const missing = expected.filter((o) => !fs.existsSync(o));
  if (outputs.length === 0 || missing.length)
    return [...(outputs.length ? [] : ['dist/ is empty']), ...missing.map((m) => `${path.relative(root, m)} is missing`)];
  // Outputs of lib files that no longer exist keep their old times and do not count.
  const built = Math.min(...expected.map((o) => fs.statSync(o).mtimeMs));
  return sources.filter((s) => fs.statSync(s).mtimeMs > built).map((s) => `${path.relative(root, s)} is newer than dist/`);
}

module.exports = { staleDist, root };
