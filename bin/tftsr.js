#!/usr/bin/env node
'use strict';
// The compiled CLI lives in dist/ (built by `npm run build`, which `npm ci` runs through `prepare`).
const path = require('node:path');
const entry = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
let cli;
try {
  cli = require(entry);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(entry)) {
    process.stderr.write('tftsr: the tool is not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
}
// A reader that stopped early (`tftsr pii scan f | head`) closed the pipe: stop quietly, as any Unix filter does.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(0);
  throw err;
});
cli.runCli(process.argv.slice(2), process.env, cli.processIo).then((code) => process.exit(code));
