/**
 * The CDK app `cdk.json` runs: builds the Lambda bundles once (esbuild.config.mjs, the one source of
 * bundling), then synthesizes. WARDEN_SKIP_BUILD=1 reuses dist/ as it is (tests, repeated synths).
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
