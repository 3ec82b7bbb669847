/** Once per test run, before any test file: the Lambda bundles, so every test reads the same dist/. */
import { buildBundles } from './infra/support/bundles.ts';

export default async function setup(): Promise<void> {
  await buildBundles();
}
