/**
 * The package as a user gets it: `npm pack`, installed offline into a fresh CDK app outside the repository
 * (its aws-cdk-lib, constructs and cdk-nag are this repository's installed copies, linked in), which adds
 * `AlbWarden` with two bindings to its own stack and synthesizes; and `npx alb-warden` from that install,
 * its doctor asking the simulator's IAM about a deployed controller's roles.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SIM_SECRET } from '../../testkit/world.ts';
import { type DoctorDocument, type DoctorWorld, startDoctorWorld } from '../cli/doctor-support.ts';
import { OPERATOR_KEY } from '../cli/support.ts';
import { buildPackageOutputs, ensureBundles, ROOT } from './support/bundles.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const run = promisify(execFile);
const npm = (args: string[], cwd: string) => run('npm', args, { cwd });

interface PackedFile {
  readonly path: string;
  readonly size: number;
}

let work: string;
let app: string;
let packed: { size: number; unpackedSize: number; files: PackedFile[] };
let template: {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
let nagViolations: unknown[];

const ARN = 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012';
const CONSUMER_APP = `
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlbWarden } from 'alb-warden/cdk';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'ap-northeast-2' } });
const binding = (name, id) => ({
  name,
  loadBalancerArn: '${ARN}:loadbalancer/app/' + name + '/' + id,
  targetGroupArn: '${ARN}:targetgroup/' + name + '/' + id,
  instanceSelector: { tags: { Role: name } },
});
new AlbWarden(stack, 'Warden', {
  config: { bindings: [binding('web', '50dc6c495c0c9188'), binding('api', '73e2d6bc24d8a067')], mode: 'enforce' },
  alertEmails: ['oncall@example.com'],
});
const findings = new AwsSolutionsChecks().validateScope(app).violations;
console.log(JSON.stringify(findings.map((v) => v.ruleName + ' at ' + v.violatingResources.map((r) => r.constructPath))));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;

/** Compiles only if the props are typed: `@ts-expect-error` fails where a prop degraded to `any`. */
const TYPED_APP = `
import { App, Stack } from 'aws-cdk-lib';
import { AlbWarden, AlbWardenEdge, type AlbWardenConfig } from 'alb-warden/cdk';

const stack = new Stack(new App(), 'Typed');
const config: AlbWardenConfig = { mode: 'dry-run', bindings: [] };
const warden = new AlbWarden(stack, 'Warden', { config, alertEmails: ['oncall@example.com'], createTrail: true });
const topicArn: string = warden.topic.topicArn;
const edge = new AlbWardenEdge(stack, 'Edge', { deletionProtection: true });
new AlbWarden(stack, 'WithEdge', { config, edge: { topology: edge, bindingName: 'edge' } });
// @ts-expect-error: not a mode
new AlbWarden(stack, 'BadMode', { config: { mode: 'enforced', bindings: [] } });
// @ts-expect-error: a binding needs its target group
new AlbWarden(stack, 'NoGroup', { config: { bindings: [{ name: 'a', loadBalancerArn: 'x', instanceSelector: { tags: {} } }] } });
// @ts-expect-error: the construct creates the topic
new AlbWarden(stack, 'Topic', { config: { bindings: [], alerts: { topicArn: 'x' } } });
console.log(topicArn);
`;

beforeAll(async () => {
  await ensureBundles();
  await buildPackageOutputs();
  work = mkdtempSync(join(tmpdir(), 'alb-warden-package-'));
  const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  const [info] = JSON.parse(stdout) as [typeof packed & { filename: string }];
  packed = info;
  console.log(
    `alb-warden tarball: ${(info.size / 1024).toFixed(0)} KiB packed, ${(info.unpackedSize / 1024).toFixed(0)} KiB ` +
      `unpacked, ${info.files.length} files`,
  );

  app = join(work, 'app');
  await run('mkdir', [app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // Offline: the tarball has no dependencies, and its peers are the ones linked in below.
  await npm(
    ['install', '--offline', '--legacy-peer-deps', '--no-audit', '--no-fund', join(work, info.filename)],
    app,
  );
  for (const peer of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
    symlinkSync(join(ROOT, 'node_modules', peer), join(app, 'node_modules', peer));
  }
  writeFileSync(join(app, 'app.mjs'), CONSUMER_APP);
  const synth = await run(process.execPath, ['app.mjs'], { cwd: app, env: { PATH: process.env.PATH } });
  nagViolations = JSON.parse(synth.stdout.trim().split('\n').at(-1) ?? 'null');
  template = JSON.parse(readFileSync(join(app, 'cdk.out', 'Consumer.template.json'), 'utf8'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);

describe('the packed tarball', () => {
  it('ships the constructs, their types, the CLI and the four functions as plain JavaScript', () => {
    const paths = packed.files.map((file) => file.path);

    for (const entry of ['register', 'guard', 'sweep', 'sweep-worker', 'cli', 'cdk']) {
      expect(paths).toContain(`dist/${entry}/index.mjs`);
    }
    expect(paths).toContain('dist/cdk/types/infra/index.d.ts');
    expect(paths).toContain('CHANGELOG.md');
    expect(paths).toContain('LICENSE');
  });

  it('carries no tests, sources, source maps or build metadata', () => {
    const unwanted = packed.files
      .map((file) => file.path)
      .filter(
        (path) =>
          path.startsWith('test/') ||
          path.endsWith('.map') ||
          path.endsWith('meta.json') ||
          (path.endsWith('.ts') && !path.endsWith('.d.ts')),
      );

    expect(unwanted).toEqual([]);
    expect(packed.size).toBeLessThan(3 * 1024 * 1024);
  });

  it('has no runtime dependencies: aws-cdk-lib and constructs are the app’s own', () => {
    const manifest = JSON.parse(
      readFileSync(join(app, 'node_modules', 'alb-warden', 'package.json'), 'utf8'),
    );

    expect(manifest.license).toBe('Apache-2.0');
    expect(readFileSync(join(app, 'node_modules', 'alb-warden', 'LICENSE'), 'utf8')).toContain(
      'Apache License\n                           Version 2.0',
    );
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
  });
});

describe('a fresh CDK app with AlbWarden and two bindings', () => {
  it('deploys the four functions from the package’s prebuilt bundles', () => {
    const functions = ofType('AWS::Lambda::Function');

    expect(functions.map((fn) => fn.Properties.Runtime)).toEqual(Array(4).fill('nodejs24.x'));
    const assets = readdirSync(join(app, 'cdk.out')).filter((name) => name.startsWith('asset.'));
    const code = assets.filter((name) => existsSync(join(app, 'cdk.out', name, 'index.mjs')));
    expect(code).toHaveLength(4);
    // The repository's dist/ holds source maps, the package's does not: the code came from the package.
    for (const dir of code) {
      expect(readdirSync(join(app, 'cdk.out', dir)).filter((name) => name.endsWith('.map'))).toEqual([]);
    }
  });

  it('guards both bindings: their configuration reaches the functions', () => {
    const assets = readdirSync(join(app, 'cdk.out')).map((name) => join(app, 'cdk.out', name, 'warden'));
    const layer = assets.find((dir) => existsSync(join(dir, 'config.json')));
    const document = JSON.parse(readFileSync(join(layer ?? '', 'config.json'), 'utf8'));

    expect(document.bindings.map((b: { name: string }) => b.name)).toEqual(['web', 'api']);
  });

  it('routes EC2 state changes, ELB API calls and the schedule to the functions', () => {
    const rules = ofType('AWS::Events::Rule').map((rule) => rule.Properties);

    expect(
      rules.map((rule) => (rule.EventPattern as { source?: string[] } | undefined)?.source?.[0]),
    ).toEqual(expect.arrayContaining(['aws.ec2', 'aws.elasticloadbalancing']));
    expect(rules.map((rule) => rule.ScheduleExpression)).toContain('rate(1 minute)');
  });

  it('alerts by email through the topic, and its alarms notify the topic', () => {
    const [topicId] = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::SNS::Topic') ?? [];
    const subscriptions = ofType('AWS::SNS::Subscription').map((s) => s.Properties);
    const alarms = ofType('AWS::CloudWatch::Alarm').map((a) => a.Properties);

    expect(subscriptions).toEqual([
      expect.objectContaining({
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
        TopicArn: { Ref: topicId },
      }),
    ]);
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('leaves cdk-nag AwsSolutions nothing unacknowledged', () => {
    expect(nagViolations).toEqual([]);
  });
});

describe("a CommonJS app (cdk init's TypeScript apps compile to CommonJS)", () => {
  it('requires the constructs', async () => {
    const script =
      "const { AlbWarden, AlbWardenEdge } = require('alb-warden/cdk'); console.log(typeof AlbWarden, typeof AlbWardenEdge)";

    const { stdout } = await run(process.execPath, ['-e', script], { cwd: app });

    expect(stdout.trim()).toBe('function function');
  });
});

describe('the declarations, in a TypeScript app', () => {
  it('type the props from the package alone: a wrong value is a compile error', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          target: 'es2022',
          noEmit: true,
          types: [],
          skipLibCheck: true,
        },
        files: ['typed.ts'],
      }),
    );
    writeFileSync(join(app, 'typed.ts'), TYPED_APP);

    const compiled = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')], {
      cwd: app,
    }).catch((error: { stdout: string }) => error);

    expect((compiled as { stdout: string }).stdout).toBe('');
  });
});

describe('npx alb-warden from the installed package', () => {
  it('prints the commands', async () => {
    const { stdout } = await npm(['exec', '--offline', '--', 'alb-warden', '--help'], app);

    for (const command of ['status', 'reconcile', 'validate', 'pause', 'resume']) {
      expect(stdout).toContain(command);
    }
  });

  it('validates a configuration file and names the bad field', async () => {
    const file = join(app, 'bad.json');
    writeFileSync(file, JSON.stringify({ bindings: [{ name: 'web', loadBalancerArn: 'nope' }] }));

    const failure = await run(
      process.execPath,
      [join(app, 'node_modules', '.bin', 'alb-warden'), 'validate', '--config', file],
      {
        cwd: app,
      },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);

    expect(failure).toMatchObject({ code: 2 });
    expect(`${(failure as { stdout: string }).stdout}${(failure as { stderr: string }).stderr}`).toContain(
      'bindings[0].loadBalancerArn',
    );
  });
});

describe('alb-warden doctor from the installed package, against a deployed controller on the simulator', () => {
  let world: DoctorWorld;
  beforeAll(async () => {
    world = await startDoctorWorld();
    await world.launchWeb(1);
  });
  afterAll(() => world?.stop());

  /** The installed executable in its own process: only the package, no sources, the SDK's standard settings. */
  const doctor = (args: readonly string[]) =>
    run(process.execPath, [join(app, 'node_modules', '.bin', 'alb-warden'), 'doctor', ...args], {
      cwd: app,
      env: {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: world.warden.world.endpoint,
        AWS_REGION: world.warden.seed.region,
        AWS_ACCESS_KEY_ID: OPERATOR_KEY,
        AWS_SECRET_ACCESS_KEY: SIM_SECRET,
      },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
  const permissionCheck = async () => {
    const { stdout } = await doctor(['--json', '--config', world.configFile]);
    const document = JSON.parse(stdout) as DoctorDocument;
    return document.checks.find((check) => check.check === 'binding' && /roles may/.test(check.detail));
  };

  it('prints its help', async () => {
    const { stdout } = await doctor(['--help']);

    expect(stdout).toContain('--drill');
  });

  it('checks the deployed roles against the same calls as the doctor run from the sources', async () => {
    const fromSources = await world.doctor(['--json']);
    const expected = fromSources
      .json<DoctorDocument>()
      .checks.find((check) => check.check === 'binding' && /roles may/.test(check.detail));

    const installed = await permissionCheck();

    expect(expected?.detail).toMatch(
      /^the functions' roles may make all \d+ calls they make on this binding/,
    );
    expect(installed).toEqual(expected);
  });

  it('names the calls a narrowed role may no longer make', async () => {
    await world.operator.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'AlbWarden-RegisterRole',
        PolicyName: 'controller',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['ec2:DescribeInstances', 'sns:Publish'], Resource: '*' }],
        }),
      }),
    );

    const installed = await permissionCheck();

    expect(installed).toMatchObject({ ok: false });
    expect(installed?.detail).toMatch(/^the functions' roles may not make \d+ of the calls they make: /);
    expect(installed?.detail).toContain('register: dynamodb:PutItem on table/alb-warden-alert-state');
    expect(installed?.detail).not.toMatch(/(guard|sweep): /);
  });
});
