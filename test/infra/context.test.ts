/**
 * Reading the app's context: cdk.json's values, `-c KEY=VALUE` strings, defaults, and errors that name the key.
 */
import { describe, expect, it } from 'vitest';
import { ContextError, readSettings } from '../../infra/context.ts';
import { EXAMPLE_CONFIG } from './support/synth.ts';

const read = (context: Record<string, unknown>, env: Record<string, string> = {}) =>
  readSettings((key) => context[key], env);

const minimal = { config: EXAMPLE_CONFIG };

describe('readSettings', () => {
  it('applies the documented defaults', () => {
    const settings = read(minimal, { CDK_DEFAULT_ACCOUNT: '210987654321', CDK_DEFAULT_REGION: 'eu-west-1' });

    expect(settings).toEqual({
      account: '210987654321',
      region: 'eu-west-1',
      config: EXAMPLE_CONFIG,
      alertEmails: [],
      createTrail: false,
      sweepSchedule: 'rate(1 minute)',
      activeTracing: false,
      guardTag: undefined,
      deployEdge: false,
      edge: {
        bindingName: 'edge',
        keepConfigBindings: false,
        deletionProtection: false,
        listenerGeneration: 0,
        instanceSelector: { tags: { Role: 'web' } },
        vpcId: undefined,
        availabilityZones: undefined,
        certificateArn: undefined,
        domainName: undefined,
        hostedZoneId: undefined,
        healthCheck: undefined,
        sslPolicy: undefined,
      },
    });
  });

  it('prefers context to the CLI’s default account and region', () => {
    const settings = read(
      { ...minimal, account: '123456789012', region: 'ap-northeast-2' },
      { CDK_DEFAULT_ACCOUNT: '210987654321' },
    );

    expect(settings).toMatchObject({ account: '123456789012', region: 'ap-northeast-2' });
  });

  it('takes `-c` strings: booleans, comma-separated emails, JSON objects and arrays', () => {
    const settings = read({
      config: JSON.stringify(EXAMPLE_CONFIG),
      deployEdge: 'true',
      createTrail: 'false',
      alertEmails: 'oncall@example.com, lead@example.com',
      activeTracing: 'true',
      guardTag: 'alb-warden=guarded',
      edge: '{"certificateArn":"arn:aws:acm:ap-northeast-2:123456789012:certificate/x","bindingName":"site"}',
    });

    expect(settings).toMatchObject({
      config: EXAMPLE_CONFIG,
      deployEdge: true,
      createTrail: false,
      alertEmails: ['oncall@example.com', 'lead@example.com'],
      activeTracing: true,
      guardTag: { key: 'alb-warden', value: 'guarded' },
      edge: { bindingName: 'site', certificateArn: 'arn:aws:acm:ap-northeast-2:123456789012:certificate/x' },
    });
    expect(read({ ...minimal, alertEmails: '["a@example.com"]' }).alertEmails).toEqual(['a@example.com']);
  });

  it.each([
    [{ config: undefined }, 'config', 'is missing'],
    [{ config: '{not json' }, 'config', 'is not valid JSON'],
    [
      { ...minimal, config: { ...EXAMPLE_CONFIG, controllerRoleArns: [] } },
      'config',
      'sets controllerRoleArns',
    ],
    [
      { ...minimal, config: { ...EXAMPLE_CONFIG, alerts: { topicArn: 'x' } } },
      'config',
      'sets alerts.topicArn',
    ],
    [{ ...minimal, account: '1234' }, 'account', 'must be a 12-digit AWS account id'],
    [{ ...minimal, region: 'Seoul' }, 'region', 'must be an AWS region'],
    [{ ...minimal, deployEdge: 'yes' }, 'deployEdge', 'must be true or false'],
    [{ ...minimal, alertEmails: 'not-an-address' }, 'alertEmails', 'must be a list of email addresses'],
    [
      { ...minimal, sweepSchedule: 'every minute' },
      'sweepSchedule',
      'must be an EventBridge schedule expression',
    ],
    [{ ...minimal, edge: { vpcID: 'vpc-1' } }, 'edge', 'has unknown key(s) "vpcID"'],
    [{ ...minimal, edge: { availabilityZones: ['a'] } }, 'edge.availabilityZones', 'must list exactly two'],
    [{ ...minimal, guardTag: 'no-equals-sign' }, 'guardTag', 'must be KEY=VALUE'],
    [{ ...minimal, guardTag: 'aws:reserved=x' }, 'guardTag', 'must be KEY=VALUE'],
    [{ ...minimal, edge: { deletionProtection: 'yes' } }, 'edge.deletionProtection', 'must be true or false'],
    [{ ...minimal, edge: { listenerGeneration: -1 } }, 'edge.listenerGeneration', 'must be a whole number'],
  ])('rejects %j, naming context "%s"', (context, key, message) => {
    expect(() => read(context)).toThrow(ContextError);
    expect(() => read(context)).toThrow(`context "${key}" ${message}`);
  });
});
