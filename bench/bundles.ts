/**
 * Figure 1a: what ships. The bundles are built by the project's own esbuild.config.mjs (unchanged), run
 * from a private copy of the tree (the config file, with functions/ and node_modules/ linked in) so the
 * bench never races `npm run build` or the infra tests over dist/. Sizes come from esbuild's metafile.
 */
import { copyFile, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const FUNCTION_NAMES = ['register', 'guard', 'sweep'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The AWS SDK clients the controller uses, by the package their code comes from. */
export const CLIENT_PACKAGES = {
  elbv2: '@aws-sdk/client-elastic-load-balancing-v2',
  ec2: '@aws-sdk/client-ec2',
  sns: '@aws-sdk/client-sns',
  dynamodb: '@aws-sdk/client-dynamodb',
  tagging: '@aws-sdk/client-resource-groups-tagging-api',
  cloudtrail: '@aws-sdk/client-cloudtrail',
} as const;
export type ClientName = keyof typeof CLIENT_PACKAGES;

/** The parts of esbuild's metafile read here. */
export interface Metafile {
  readonly outputs: Readonly<
    Record<
      string,
      {
        readonly bytes: number;
        readonly inputs: Readonly<Record<string, { readonly bytesInOutput: number }>>;
        readonly imports: readonly {
          readonly path: string;
          readonly kind: string;
          readonly external?: boolean;
        }[];
      }
    >
  >;
}

export interface Bundle {
  readonly name: FunctionName;
  /** dist/<fn>. */
  readonly dir: string;
  readonly entry: string;
  readonly meta: Metafile;
}

export interface Bundles {
  readonly functions: Readonly<Record<FunctionName, Bundle>>;
  remove(): Promise<void>;
}

export async function buildBundles(): Promise<Bundles> {
  const root = await mkdtemp(join(tmpdir(), 'alb-warden-bench-'));
  await copyFile(join(ROOT, 'esbuild.config.mjs'), join(root, 'esbuild.config.mjs'));
  for (const linked of ['functions', 'node_modules'])
    await symlink(join(ROOT, linked), join(root, linked), 'dir');
  const bundler = (await import(pathToFileURL(join(root, 'esbuild.config.mjs')).href)) as {
    build(options: { quiet: boolean }): Promise<unknown>;
  };
  await bundler.build({ quiet: true });
  return {
    ...(await readBundles(join(root, 'dist'))),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** The bundles already built into `dist` (dist/<fn>/index.mjs and meta.json); `remove` leaves them. */
export async function readBundles(dist: string): Promise<Bundles> {
  const entries = await Promise.all(
    FUNCTION_NAMES.map(async (name): Promise<[FunctionName, Bundle]> => {
      const dir = join(dist, name);
      const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Metafile;
      return [name, { name, dir, entry: join(dir, 'index.mjs'), meta }];
    }),
  );
  return {
    functions: Object.fromEntries(entries) as Record<FunctionName, Bundle>,
    remove: async () => {},
  };
}

/** The metafile's output files (code, not source maps), keyed by their name relative to the bundle dir. */
function codeOutputs(meta: Metafile): Map<string, Metafile['outputs'][string]> {
  const outputs = new Map<string, Metafile['outputs'][string]>();
  for (const [path, output] of Object.entries(meta.outputs)) {
    if (path.endsWith('.mjs')) outputs.set(relative(path), output);
  }
  return outputs;
}

/** `…/dist/guard/chunks/x.mjs` → `chunks/x.mjs` (metafile paths are relative to the working directory). */
function relative(path: string): string {
  const match = /(?:^|\/)dist\/[^/]+\/(.+)$/.exec(path);
  return match?.[1] ?? path;
}

export interface BundleSize {
  /** index.mjs and every chunk. */
  readonly bytes: number;
  readonly indexBytes: number;
  /** What importing index.mjs loads before any dynamic import: index.mjs and its static chunks. */
  readonly staticBytes: number;
  readonly chunks: number;
}

export function bundleSize(bundle: Bundle): BundleSize {
  const outputs = codeOutputs(bundle.meta);
  const bytes = [...outputs.values()].reduce((sum, output) => sum + output.bytes, 0);
  const staticFiles = staticClosure(bundle.meta, 'index.mjs');
  return {
    bytes,
    indexBytes: outputs.get('index.mjs')?.bytes ?? 0,
    staticBytes: [...staticFiles].reduce((sum, file) => sum + (outputs.get(file)?.bytes ?? 0), 0),
    chunks: outputs.size - 1,
  };
}

/** Files loaded by importing `file`: itself and what it imports statically, transitively. */
export function staticClosure(meta: Metafile, file: string): Set<string> {
  const outputs = codeOutputs(meta);
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const imported of outputs.get(name)?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) {
        const target = relative(imported.path);
        if (outputs.has(target)) visit(target);
      }
    }
  };
  visit(file);
  return seen;
}

/** Which SDK clients' code each output file carries (a chunk with none of them maps to an empty list). */
export function clientsByFile(meta: Metafile): Map<string, ClientName[]> {
  const byFile = new Map<string, ClientName[]>();
  for (const [file, output] of codeOutputs(meta)) {
    const inputs = Object.keys(output.inputs);
    byFile.set(
      file,
      (Object.entries(CLIENT_PACKAGES) as [ClientName, string][])
        .filter(([, pkg]) => inputs.some((input) => input.includes(`node_modules/${pkg}/`)))
        .map(([client]) => client),
    );
  }
  return byFile;
}

/** The SDK clients whose code is in `files` (paths relative to the bundle dir). */
export function clientsIn(meta: Metafile, files: Iterable<string>): Set<ClientName> {
  const byFile = clientsByFile(meta);
  const clients = new Set<ClientName>();
  for (const file of files) for (const client of byFile.get(file) ?? []) clients.add(client);
  return clients;
}

/** The heaviest npm packages in a bundle (bytes in the output), for "what is in there". */
export function heaviestPackages(meta: Metafile, count = 5): { package: string; bytes: number }[] {
  const byPackage = new Map<string, number>();
  for (const output of codeOutputs(meta).values()) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? '(alb-warden)';
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage]
    .sort(([, a], [, b]) => b - a)
    .slice(0, count)
    .map(([name, bytes]) => ({ package: name, bytes }));
}
