/**
 * The README's props tables, from the constructs' TSDoc: one row per prop with its type, its `@default`
 * and its comment, read from the source's syntax tree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Comment, parseSync, type TSInterfaceDeclaration } from 'oxc-parser';

export function propsTable(root: string, file: string, interfaceName: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const { program, comments, errors } = parseSync(file, text);
  if (errors.length > 0) throw new Error(`${file}: ${errors.map((error) => error.message).join('; ')}`);
  const declaration = program.body
    .map((statement) => (statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement))
    .find(
      (node): node is TSInterfaceDeclaration =>
        node?.type === 'TSInterfaceDeclaration' && node.id.name === interfaceName,
    );
  if (!declaration) throw new Error(`${file} declares no interface ${interfaceName}`);
  const cell = (value: string) => value.replace(/\s+/g, ' ').trim().replaceAll('|', '\\|');
  return [
    '| prop | type | default | meaning |',
    '|---|---|---|---|',
    ...declaration.body.body.flatMap((member) => {
      if (member.type !== 'TSPropertySignature') return [];
      const doc = docOf(text, comments, member.start);
      const type = member.typeAnnotation
        ? text.slice(member.typeAnnotation.typeAnnotation.start, member.typeAnnotation.typeAnnotation.end)
        : '';
      const name = text.slice(member.key.start, member.key.end);
      // A prop the table cannot describe is an error, not an empty cell the README would be asked to copy.
      if (!doc.comment.trim()) throw new Error(`${file}: ${interfaceName}.${name} has no doc comment`);
      const fallback = doc.tags.get('default');
      if (member.optional && fallback === undefined)
        throw new Error(`${file}: ${interfaceName}.${name} is optional and its doc comment has no @default`);
      const defaultText = member.optional ? (fallback ?? '') : 'required';
      return [`| \`${name}\` | \`${cell(type)}\` | ${cell(defaultText)} | ${cell(doc.comment)} |`];
    }),
  ];
}

/**
 * The `/** … *\/` comment right before `start` (with only white space between): its text, and its tags
 * (`@default …`). A tag starts at an `@` after white space, on its own line or not, as TypeScript reads it
 * (`{@link …}` is text); unlike TypeScript, an `@` after white space inside backticks would start one too.
 */
function docOf(text: string, comments: readonly Comment[], start: number) {
  const comment = comments.findLast(
    (candidate) =>
      candidate.end <= start && candidate.type === 'Block' && text.slice(candidate.end, start).trim() === '',
  );
  const body = (comment?.value.startsWith('*') ? comment.value.slice(1) : '')
    .split('\n')
    .map((line) => line.replace(/^\s*\*?/, ''))
    .join('\n');
  const [description = '', ...blocks] = ` ${body}`.split(/\s(?=@\w)/);
  const tags = new Map(
    blocks.map((block) => {
      const [, name = '', rest = ''] = /^@(\w+)([\s\S]*)$/.exec(block) ?? [];
      return [name, rest] as const;
    }),
  );
  return { comment: description, tags };
}
