// jest globalSetup: child-process tests, the CLI tests and the package tests load dist/, the
// compiled lib/. Rebuild it first when lib/ changed since, so no test passes on stale code.

const { execFileSync } = require('node:child_process');
const { staleDist, root } = require('./dist-fresh');

module.exports = async function globalSetup() {
  const stale = staleDist();
  if (stale.length === 0) return;
  process.stderr.write(
    `\njest: dist/ is out of date (${stale[0]}${stale.length > 1 ? `, and ${stale.length - 1} more` : ''}): npm run build:ts\n`,
  );
  execFileSync('npm', ['run', '--silent', 'build:ts'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
};
