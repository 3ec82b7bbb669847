/**
 * The README's "Use from your CDK app" section stays true: its props tables are the constructs' TSDoc (type,
 * default, meaning), row for row, and its snippet imports from the package's CDK entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/bundles.ts';
import { propsTable } from './support/props-table.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README: Use from your CDK app', () => {
  it.each([
    ['infra/alb-warden.ts', 'AlbWardenProps'],
    ['infra/alb-warden-edge.ts', 'AlbWardenEdgeProps'],
    ['infra/alb-warden.ts', 'AlbWardenEdgeBinding'],
    ['infra/alb-warden-hub.ts', 'AlbWardenHubProps'],
    ['infra/alb-warden-member.ts', 'AlbWardenMemberProps'],
  ])('lists every prop of %s %s with its type, default and meaning', (file, name) => {
    const table = propsTable(ROOT, file, name).join('\n');

    expect(README, `paste this table into the README:\n\n${table}\n`).toContain(table);
  });

  it('shows the import a user writes, from the package’s CDK entry', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

    expect(README).toContain("import { AlbWarden } from 'alb-warden/cdk';");
    expect(Object.keys(manifest.exports)).toContain('./cdk');
  });
});
