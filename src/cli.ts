#!/usr/bin/env node
import { loadCliConfig } from './cli/config.js';
import { main } from './cli/program.js';

process.exitCode = await main(process.argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  config: loadCliConfig(),
});
