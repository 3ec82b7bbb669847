/**
 * Prints the member stack's template (JSON) for `aws cloudformation create-stack-set --template-body`:
 *
 *   npm run -s member-template -- --hub-account 111111111111 --hub-region ap-northeast-2 \
 *     --organization-id o-a1b2c3d4e5 [--external-id ID] [--guard-tag KEY=VALUE] > member.template.json
 *
 * Synthesizes offline; the template needs no assets and no bootstrap stack in the members.
 */
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import { AlbWardenMemberStack } from './alb-warden-member.ts';

const USAGE =
  'Usage: npm run -s member-template -- --hub-account ID --hub-region REGION ' +
  '(--organization-id o-… and/or --external-id ID) [--guard-tag KEY=VALUE]';

try {
  const { values } = parseArgs({
    options: {
      'hub-account': { type: 'string' },
      'hub-region': { type: 'string' },
      'organization-id': { type: 'string' },
      'external-id': { type: 'string' },
      'guard-tag': { type: 'string' },
    },
    strict: true,
  });
  const [key, value] = values['guard-tag']?.split('=') ?? [];
  if (values['guard-tag'] !== undefined && (!key || value === undefined))
    throw new Error(`--guard-tag must be KEY=VALUE, got ${values['guard-tag']}`);
  const app = new App({ analyticsReporting: false });
  const stack = new AlbWardenMemberStack(app, 'AlbWardenMember', {
    hubAccount: values['hub-account'] ?? '',
    hubRegion: values['hub-region'] ?? '',
    ...(values['organization-id'] ? { organizationId: values['organization-id'] } : {}),
    ...(values['external-id'] ? { externalId: values['external-id'] } : {}),
    ...(key && value !== undefined ? { guardTag: { key, value } } : {}),
  });
  const template = app.synth().getStackByName(stack.stackName).template;
  process.stdout.write(`${JSON.stringify(template, null, 2)}\n`);
} catch (error) {
  process.stderr.write(`member-template: ${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
