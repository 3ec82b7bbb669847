#!/usr/bin/env node
/** The `alb-warden` executable: runs the CLI with the process's streams and environment. */
import { errorText } from '../errors.ts';
import { main } from './main.ts';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`alb-warden: ${errorText(error)}\n`);
    process.exitCode = 1;
  },
);
