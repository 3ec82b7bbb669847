/** Rules about the controller's own code that a reviewer would otherwise have to check by eye. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Node, parseSync } from 'oxc-parser';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const tracked = (pattern: string) =>
  execFileSync('git', ['ls-files', pattern], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

function parse(path: string) {
  const text = readFileSync(`${root}${path}`, 'utf8');
  const { program, errors } = parseSync(path, text);
  if (errors.length > 0) throw new Error(`${path}: ${errors.map((error) => error.message).join('; ')}`);
  return { program, text };
}

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** The name a function is known by: its own, its variable's, or its method's or property's key. */
function nameOf(node: Node, parent: Node | undefined, text: string): string {
  if ('id' in node && node.id) return text.slice(node.id.start, node.id.end);
  if (parent && 'key' in parent && parent.key) return text.slice(parent.key.start, parent.key.end);
  if (parent?.type === 'VariableDeclarator') return text.slice(parent.id.start, parent.id.end);
  return '(anonymous)';
}

function longFunctions(path: string, limit: number): string[] {
  const { program, text } = parse(path);
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const found: string[] = [];
  const visit = (node: Node, parent: Node | undefined) => {
    if (FUNCTIONS.has(node.type) && 'body' in node && node.body) {
      const first = lineAt(node.start);
      const lines = lineAt(node.end) - first + 1;
      if (lines > limit) found.push(`${path}:${first} ${nameOf(node, parent, text)} (${lines} lines)`);
    }
    for (const value of Object.values(node)) {
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child === 'object' && typeof child.type === 'string') visit(child, node);
      }
    }
  };
  visit(program, undefined);
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
        .program.body.flatMap((statement) => {
          const from = 'source' in statement ? statement.source : null;
          return from ? [from.value] : [];
        })
        .filter((specifier) => !specifier.startsWith('./') && specifier !== 'zod')
        .map((specifier) => `${path} imports ${specifier}`),
    );
    expect(domain.length).toBeGreaterThan(10);
    expect(outside).toEqual([]);
  });
});

describe('the repository', () => {
  // What a reader of the repository cannot open: a specification, a style guide or a tracker kept elsewhere.
  const outside = [
    /\bSPEC\b/,
    /§/,
    /\b[Ii]ssue #?\d+/,
    /\b[Tt]he issue('s)?\b/,
    /[Ss]eed article/,
    /\.\.\/shared\//,
    /STYLE\.md/,
  ];

  it('speaks of the product only: no citation of documents outside it, in code, messages, tests or docs', () => {
    const files = tracked('.').filter(
      (path) => path !== 'package-lock.json' && path !== 'test/unit/code-shape.test.ts',
    );
    const found = files.flatMap((path) =>
      readFileSync(`${root}${path}`, 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          outside.some((pattern) => pattern.test(line)) ? [`${path}:${index + 1} ${line.trim()}`] : [],
        ),
    );
    expect(files.length).toBeGreaterThan(300);
    expect(found).toEqual([]);
  });
});
