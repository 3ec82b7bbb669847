/**
 * Where the functions' bundles are: the repository's dist/ beside infra/, or, in the installed package, the
 * dist/ that holds this module's own bundle (dist/cdk/index.mjs).
 */
import { fileURLToPath } from 'node:url';

const packaged = import.meta.url.endsWith('/dist/cdk/index.mjs');

export const DEFAULT_BUNDLE_DIR = fileURLToPath(new URL(packaged ? '../' : '../dist/', import.meta.url));
