#!/usr/bin/env node
// The `gatedrnn` command: the compiled CLI in dist/ (see lib/cli.ts).

require('../dist/cli.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
