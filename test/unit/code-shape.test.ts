/** Rules about the controller's own code that a reviewer would otherwise have to check by eye. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const tracked = (pattern: string) =>
  execFileSync('git', ['ls-files', pattern], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(`${root}${path}`, 'utf8'), ts.ScriptTarget.Latest, true);
}

function longFunctions(path: string, limit: number): string[] {
  const source = parse(path);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const name = node.name?.getText(source) ?? '(anonymous)';
      if (last - first + 1 > limit) found.push(`${path}:${first + 1} ${name} (${last - first + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the controller code', () => {
  const files = tracked('functions/**/*.ts');

  it('has no function longer than 80 lines', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.flatMap((path) => longFunctions(path, 80))).toEqual([]);
  });

  it('keeps the domain pure: it imports only from functions/domain/ (and zod for event shapes)', () => {
    const domain = files.filter((path) => path.startsWith('functions/domain/'));
    const outside = domain.flatMap((path) =>
      parse(path)
        .statements.filter(ts.isImportDeclaration)
        .map((statement) => (statement.moduleSpecifier as ts.StringLiteral).text)
        .filter((specifier) => !specifier.startsWith('./') && specifier !== 'zod')
        .map((specifier) => `${path} imports ${specifier}`),
    );
    expect(domain.length).toBeGreaterThan(10);
    expect(outside).toEqual([]);
  });
});
