/**
 * The CDK app `cdk.json` runs, and an example of using the package: infra/main.ts puts one `AlbWarden` (and,
 * with `deployEdge`, one `AlbWardenEdge`) from the package's entry (infra/index.ts, `alb-warden/cdk` once
 * installed) into a stack each, with the settings of cdk.json's context. The Lambda bundles are built first
 * (esbuild.config.mjs, the one source of bundling); WARDEN_SKIP_BUILD=1 reuses dist/ as it is.
 */
import { createApp } from './main.ts';

/** esbuild.config.mjs is plain JavaScript without declarations; this is the part of it the app uses. */
interface Bundler {
  build(options?: { quiet?: boolean }): Promise<unknown>;
}

if (process.env.WARDEN_SKIP_BUILD !== '1') {
  const bundler: Bundler = await import(new URL('../esbuild.config.mjs', import.meta.url).href);
  await bundler.build({ quiet: true });
}
createApp().app.synth();
