// The one quantile of the bench scripts: the library's own (lib/compare/stats.ts, built into
// dist/), so a median in a bench table and one in `gatedrnn compare` are the same statistic
// (linear interpolation between order statistics).

const path = require('node:path');
const file = path.join(__dirname, '..', 'dist', 'compare', 'stats.js');
let quantile;
try {
  ({ quantile } = require(file));
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(file)) throw err;
  throw new Error(
    `${path.relative(process.cwd(), file)} is missing: run \`npm run build:ts\` first (the bench scripts use the library's quantile)`,
  );
}

/** The median of values (any order): quantile 0.5. */
const median = (values) => quantile(values, 0.5);

module.exports = { quantile, median };
