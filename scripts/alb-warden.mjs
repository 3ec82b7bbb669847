#!/usr/bin/env node
// The `alb-warden` executable npm links into node_modules/.bin: the Node version check first (plain JavaScript,
// so an older Node reads it), then the CLI itself, which is TypeScript.
import './require-node.mjs';

await import('../functions/cli/bin.ts');
