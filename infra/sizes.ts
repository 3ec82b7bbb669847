/**
 * Sizes of what CloudFormation will deploy, estimated at synth so a limit fails `cdk synth` with a clear
 * message instead of failing the deployment: literal text counts as it is, each deploy-time value
 * (a Ref, Fn::GetAtt, SSM parameter ...) as DEPLOY_TIME_VALUE_SIZE characters.
 */
import type { Stack } from 'aws-cdk-lib';

/** What a deploy-time value is assumed to take once resolved: longer than any ARN or name it stands for. */
export const DEPLOY_TIME_VALUE_SIZE = 160;

/** The resolved text of `value` with every deploy-time value replaced by a placeholder of the estimated size. */
export function estimatedText(stack: Stack, value: unknown): string {
  return flatten(stack.resolve(value), () => 'x'.repeat(DEPLOY_TIME_VALUE_SIZE));
}

/**
 * The string cdk-nag reports for a resource in a finding id (`AwsSolutions-IAM5[Resource::…]`): a Ref as
 * `<Id>`, an attribute as `<Id.Attr>`, Fn::Join flattened. An acknowledgement names the finding this way.
 */
export function findingText(stack: Stack, value: unknown): string {
  return flatten(stack.resolve(value), (node) => {
    if ('Ref' in node) return `<${String(node.Ref)}>`;
    if ('Fn::GetAtt' in node) {
      const [id, attribute] = node['Fn::GetAtt'] as [string, string];
      return `<${id}.${attribute}>`;
    }
    return JSON.stringify(node);
  });
}

/** Characters of a JSON document as IAM counts them (no whitespace), deploy-time values estimated. */
export function estimatedJsonLength(stack: Stack, document: unknown): number {
  return JSON.stringify(replaceTokens(stack.resolve(document))).length;
}

function replaceTokens(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(replaceTokens);
  if (typeof node !== 'object' || node === null) return node;
  if (isIntrinsic(node)) return flatten(node, () => 'x'.repeat(DEPLOY_TIME_VALUE_SIZE));
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, replaceTokens(value)]));
}

function isIntrinsic(node: object): boolean {
  const keys = Object.keys(node);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::') === true);
}

function flatten(node: unknown, other: (node: Record<string, unknown>) => string): string {
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (typeof node === 'object' && node !== null && 'Fn::Join' in node) {
    const [separator, parts] = (node as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((part) => flatten(part, other)).join(separator);
  }
  return other(node as Record<string, unknown>);
}
