// One source of truth for bundling: `npm run build` writes dist/<fn>/index.mjs for each Lambda function
// (and the CLI), and CDK deploys those folders as they are.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));

/** The Lambda functions: name → entry file. */
export const FUNCTIONS = {
  register: 'functions/handlers/register.ts',
  guard: 'functions/handlers/guard.ts',
  sweep: 'functions/handlers/sweep.ts',
  'sweep-worker': 'functions/handlers/sweep-worker.ts',
};

const CLI_ENTRY = 'functions/cli/bin.ts';

/**
 * The doctor's permission check reads the controller's calls from the adapters' sources and IAM's reference
 * data from files beside its package, neither of which an installed CLI has: the CLI bundle carries the
 * result instead, computed here from the same module.
 */
const embedControllerPermissions = {
  name: 'embed-controller-permissions',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]functions[\\/]cli[\\/]doctor[\\/]controller-permissions\.ts$/ },
      async ({ path }) => {
        const { controllerPermissions } = await import(pathToFileURL(path).href);
        const permissions = JSON.stringify(await controllerPermissions());
        return {
          contents: `export async function controllerPermissions() { return ${permissions}; }`,
          loader: 'js',
        };
      },
    );
  },
};

/** Shared options; exported so the benchmarks build exactly what ships. */
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // The SDK v3 is bundled, not taken from the runtime: a pinned, tree-shaken copy starts faster.
  mainFields: ['module', 'main'],
  minify: true,
  // Error classes keep their names (ConfigError, InvocationIncompleteError …) in Lambda's error reports.
  keepNames: true,
  // Source maps without the sources: stack traces name the TypeScript file and line (NODE_OPTIONS
  // --enable-source-maps in the Warden stack), and each asset carries 2.9 MiB of maps instead of 6.8 MiB.
  sourcemap: true,
  sourcesContent: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  // ESM output still meets CommonJS dependencies that call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
};

export async function build({ quiet = false } = {}) {
  const sizes = {};
  const entries = { ...FUNCTIONS, ...(existsSync(join(root, CLI_ENTRY)) ? { cli: CLI_ENTRY } : {}) };
  await Promise.all(
    Object.entries(entries).map(async ([name, entry]) => {
      const outdir = join(root, 'dist', name);
      await rm(outdir, { recursive: true, force: true });
      await mkdir(outdir, { recursive: true });
      // Code splitting: adapters are imported on first use, so a path that never calls EC2 never loads it.
      const result = await esbuild.build({
        ...bundleOptions,
        entryPoints: { index: join(root, entry) },
        outdir,
        splitting: true,
        chunkNames: 'chunks/[name]-[hash]',
        outExtension: { '.js': '.mjs' },
        plugins: name === 'cli' ? [embedControllerPermissions] : [],
      });
      await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
      const code = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
      sizes[name] = {
        bytes: code.reduce((total, [, output]) => total + output.bytes, 0),
        entryBytes: code.find(([file]) => file.endsWith(`${name}/index.mjs`))?.[1].bytes ?? 0,
        files: code.length,
      };
    }),
  );
  if (!quiet) {
    const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
    for (const [name, size] of Object.entries(sizes).sort()) {
      console.log(
        `dist/${name}/index.mjs`.padEnd(26) +
          `${kib(size.entryBytes).padStart(10)}  (${kib(size.bytes)} with its ${size.files - 1} chunks, loaded as used)`,
      );
    }
  }
  return sizes;
}

/**
 * Whether every bundle in dist/ is newer than each file it was built from (its metafile lists them) and than
 * this file; `cdk ls`, `cdk diff` and repeated synths then skip the build.
 */
export function upToDate() {
  const config = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  return Object.keys(FUNCTIONS).every((name) => {
    const meta = join(root, 'dist', name, 'meta.json');
    if (!existsSync(meta)) return false;
    const built = statSync(meta).mtimeMs;
    if (built < config) return false;
    const inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs);
    return inputs.every(
      (input) => existsSync(join(root, input)) && statSync(join(root, input)).mtimeMs <= built,
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build();
}
