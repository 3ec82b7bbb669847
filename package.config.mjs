// The package's own build, after esbuild.config.mjs has written the functions and the CLI to dist/: the CDK
// constructs as one plain-JavaScript module (dist/cdk/index.mjs, aws-cdk-lib and constructs left to the
// consumer's app) and their type declarations (dist/cdk/types). `npm pack` runs it (prepack).
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { bundleOptions } from './esbuild.config.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const outdir = join(root, 'dist', 'cdk');

/** The consumer's copies: one App, one construct tree (two copies of aws-cdk-lib do not mix). */
export const PEERS = ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'];

export async function buildPackage() {
  await rm(outdir, { recursive: true, force: true });
  await esbuild.build({
    ...bundleOptions,
    entryPoints: { index: join(root, 'infra', 'index.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    external: PEERS,
    sourcemap: false,
    metafile: false,
  });
  await declarations(join(outdir, 'types'));
}

/**
 * tsc writes the declarations with the sources' `.ts` import specifiers; they become `.js`, which TypeScript
 * resolves to the `.d.ts` beside them in a consumer's project whatever its settings.
 */
async function declarations(dir) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [
    tsc,
    // The files named here, not tsconfig.json's (TypeScript refuses both without --ignoreConfig).
    ...['infra/index.ts', '--ignoreConfig', '--rootDir', '.', '--outDir', dir],
    ...['--declaration', '--emitDeclarationOnly', '--noEmit', 'false'],
    ...['--target', 'ES2024', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node'],
    ...['--strict', '--skipLibCheck', '--allowImportingTsExtensions', '--rewriteRelativeImportExtensions'],
    ...['--verbatimModuleSyntax', '--resolveJsonModule'],
  ]);
  const reachable = new Set();
  const visit = async (file) => {
    if (reachable.has(file)) return;
    reachable.add(file);
    const text = (await readFile(file, 'utf8')).replace(/(from\s+'\.{1,2}\/[^']+)\.ts'/g, "$1.js'");
    await writeFile(file, text);
    for (const [, specifier] of text.matchAll(/from\s+'(\.{1,2}\/[^']+)\.js'/g)) {
      await visit(resolve(dirname(file), `${specifier}.d.ts`));
    }
  };
  await visit(join(dir, 'infra', 'index.d.ts'));
  // tsc declares every file it compiled; only those the entry's types reach ship.
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const file = join(entry.parentPath, entry.name);
    if (entry.isFile() && !reachable.has(file)) await rm(file);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildPackage();
}
