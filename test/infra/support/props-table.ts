/**
 * The README's props tables, from the constructs' TSDoc: one row per prop with its type, its `@default`
 * and its comment, read by the TypeScript compiler from the source.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export function propsTable(root: string, file: string, interfaceName: string): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(root, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const declaration = source.statements.find(
    (node): node is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(node) && node.name.text === interfaceName,
  );
  if (!declaration) throw new Error(`${file} declares no interface ${interfaceName}`);
  const oneLine = (text: string | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();
  return [
    '| prop | type | default | meaning |',
    '|---|---|---|---|',
    ...declaration.members.filter(ts.isPropertySignature).map((member) => {
      const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
      const comment = oneLine(docs.map((doc) => ts.getTextOfJSDocComment(doc.comment)).join(' '));
      const fallback = ts.getJSDocTags(member).find((tag) => tag.tagName.text === 'default');
      const optional = member.questionToken !== undefined;
      const defaultText = optional ? oneLine(ts.getTextOfJSDocComment(fallback?.comment)) : 'required';
      const type = oneLine(member.type?.getText(source)).replaceAll('|', '\\|');
      return `| \`${member.name.getText(source)}\` | \`${type}\` | ${defaultText.replaceAll('|', '\\|')} | ${comment.replaceAll('|', '\\|')} |`;
    }),
  ];
}
