import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkBinding, loadConfig, parseConfig, type WardenConfigInput } from '../../functions/config.ts';
import { ConfigError } from '../../functions/errors.ts';

const EXAMPLE_PATH = new URL('../../examples/seed.config.json', import.meta.url).pathname;
const example = (): WardenConfigInput => JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8'));

const LB =
  'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/web-alb/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web-8080/73e2d6bc24d8a067';

/** The smallest valid document: everything else has a default. */
function minimal(): Record<string, unknown> {
  return {
    alerts: { topicArn: 'arn:aws:sns:ap-northeast-2:123456789012:alerts', stateTable: 'alert-state' },
    bindings: [
      { name: 'web', loadBalancerArn: LB, targetGroupArn: TG, instanceSelector: { tags: { Role: 'web' } } },
    ],
  };
}

function issuesOf(document: unknown): { field: string; message: string }[] {
  try {
    parseConfig(document);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected the configuration to be rejected');
}

/** Sets `value` at a dotted path (numbers index arrays) in a copy of the minimal document. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const document = minimal();
  const keys = path.split('.');
  let node: Record<string, unknown> = document;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys.at(-1) as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return document;
}

describe('the example configuration for the seed topology', () => {
  it('is valid and keeps every value it states', () => {
    const config = parseConfig(example());
    const [binding] = config.bindings;
    expect(binding?.http.redirect).toEqual({
      protocol: 'HTTPS',
      port: '443',
      statusCode: 'HTTP_301',
      host: '#{host}',
      path: '/#{path}',
      query: '#{query}',
    });
    expect(binding?.healthCheck?.matcher).toBe('404');
    expect(config.approvedActors).toEqual(['arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-*']);
  });
});

describe('defaults', () => {
  it('fills every default from a minimal document', () => {
    const config = parseConfig(minimal());
    expect(config.mode).toBe('enforce');
    expect(config.alerts).toMatchObject({
      unhealthyAfterSweeps: 2,
      remindEveryMinutes: 60,
      stuckAfterMinutes: 10,
    });
    expect(config.safety.maxDeregisterFraction).toBe(0.5);
    expect(config.circuitBreaker).toEqual({ maxRepairs: 3, windowMinutes: 30 });
    expect(config.controllerRoleArns).toEqual([]);
    const binding = config.bindings[0];
    expect(binding?.targetPort).toBe(8080);
    expect(binding?.http).toEqual({
      port: 80,
      foreignRules: 'remove',
      redirect: {
        protocol: 'HTTPS',
        port: '443',
        statusCode: 'HTTP_301',
        host: '#{host}',
        path: '/#{path}',
        query: '#{query}',
      },
    });
    expect(binding?.https).toEqual({
      port: 443,
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      forward: 'includes-target-group',
    });
    expect(binding?.healthCheck).toBeUndefined();
  });

  it('derives the redirect port from https.port when the redirect does not name one', () => {
    const config = parseConfig(withField('bindings.0.https', { port: 8443 }));
    expect(config.bindings[0]?.http.redirect.port).toBe('8443');
  });

  it('returns a deep-frozen configuration', () => {
    const config = parseConfig(minimal());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.bindings[0]?.instanceSelector.tags)).toBe(true);
    expect(() => {
      (config as { mode: string }).mode = 'dry-run';
    }).toThrow(TypeError);
  });

  it('accepts 100 bindings', () => {
    const document = minimal();
    document.bindings = Array.from({ length: 100 }, (_, index) => ({
      name: `site-${index}`,
      loadBalancerArn: LB.replace('50dc6c495c0c9188', index.toString(16).padStart(16, '0')),
      targetGroupArn: TG,
      instanceSelector: { tags: { Site: String(index) } },
    }));
    expect(parseConfig(document).bindings).toHaveLength(100);
  });
});

describe('the alert topic', () => {
  it('may be a FIFO topic (its name ends in .fifo)', () => {
    const fifo = 'arn:aws:sns:ap-northeast-2:123456789012:alb-warden-alerts.fifo';
    expect(parseConfig(withField('alerts.topicArn', fifo)).alerts.topicArn).toBe(fifo);
  });
});

describe('bad values are rejected with the field and the value named', () => {
  const cases: [field: string, value: unknown, expected: RegExp][] = [
    ['mode', 'enforcing', /^mode$/],
    ['controllerRoleArns', ['arn:aws:iam::123456789012:user/bob'], /^controllerRoleArns\[0\]$/],
    ['controllerRoleArns', 'arn:aws:iam::123456789012:role/x', /^controllerRoleArns$/],
    ['alerts.topicArn', 'alb-warden-alerts', /^alerts\.topicArn$/],
    ['alerts.topicArn', undefined, /^alerts\.topicArn$/],
    ['alerts.stateTable', 'a', /^alerts\.stateTable$/],
    ['alerts.unhealthyAfterSweeps', 0, /^alerts\.unhealthyAfterSweeps$/],
    ['alerts.unhealthyAfterSweeps', 1.5, /^alerts\.unhealthyAfterSweeps$/],
    ['alerts.remindEveryMinutes', -1, /^alerts\.remindEveryMinutes$/],
    ['alerts.stuckAfterMinutes', 0, /^alerts\.stuckAfterMinutes$/],
    ['alerts.criticalBelowHealthyFraction', 2, /^alerts\.criticalBelowHealthyFraction$/],
    ['alerts.flapping', { transitions: 1 }, /^alerts\.flapping\.transitions$/],
    ['alerts.contextMinutes', '30', /^alerts\.contextMinutes$/],
    ['safety.maxDeregisterFraction', 1.5, /^safety\.maxDeregisterFraction$/],
    ['safety.maxDeregisterFraction', -0.1, /^safety\.maxDeregisterFraction$/],
    ['approvedActors', ['cfn-exec-role'], /^approvedActors\[0\]$/],
    ['circuitBreaker.maxRepairs', 0, /^circuitBreaker\.maxRepairs$/],
    ['circuitBreaker.windowMinutes', 0, /^circuitBreaker\.windowMinutes$/],
    ['eventPipeline.warnAfterUnreportedDrifts', 0, /^eventPipeline\.warnAfterUnreportedDrifts$/],
    ['limits.concurrentBindings', 0, /^limits\.concurrentBindings$/],
    ['limits.apiShare', 0, /^limits\.apiShare$/],
    ['bindings', [], /^bindings$/],
    ['bindings.0.name', 'web alb!', /^bindings\[0\]\.name$/],
    ['bindings.0.name', '', /^bindings\[0\]\.name$/],
    ['bindings.0.loadBalancerArn', TG, /^bindings\[0\]\.loadBalancerArn$/],
    [
      'bindings.0.loadBalancerArn',
      'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/net/nlb/50dc6c495c0c9188',
      /^bindings\[0\]\.loadBalancerArn$/,
    ],
    ['bindings.0.targetGroupArn', LB, /^bindings\[0\]\.targetGroupArn$/],
    [
      'bindings.0.targetGroupArn',
      TG.replace('ap-northeast-2', 'us-east-1'),
      /^bindings\[0\]\.targetGroupArn$/,
    ],
    ['bindings.0.targetPort', 70000, /^bindings\[0\]\.targetPort$/],
    ['bindings.0.targetPort', '8080', /^bindings\[0\]\.targetPort$/],
    ['bindings.0.instanceSelector', { tags: {} }, /^bindings\[0\]\.instanceSelector\.tags$/],
    ['bindings.0.instanceSelector', { Role: 'web' }, /^bindings\[0\]\.instanceSelector/],
    ['bindings.0.instanceSelector', { tags: { '': 'web' } }, /^bindings\[0\]\.instanceSelector\.tags/],
    ['bindings.0.http', { port: 0 }, /^bindings\[0\]\.http\.port$/],
    ['bindings.0.http', { foreignRules: 'delete' }, /^bindings\[0\]\.http\.foreignRules$/],
    ['bindings.0.http', { redirect: { protocol: 'HTTP' } }, /^bindings\[0\]\.http\.redirect\.protocol$/],
    [
      'bindings.0.http',
      { redirect: { protocol: 'HTTPS', statusCode: 'HTTP_307' } },
      /^bindings\[0\]\.http\.redirect\.statusCode$/,
    ],
    [
      'bindings.0.http',
      { redirect: { protocol: 'HTTPS', port: 443 } },
      /^bindings\[0\]\.http\.redirect\.port$/,
    ],
    [
      'bindings.0.http',
      { redirect: { protocol: 'HTTPS', port: '8443' } },
      /^bindings\[0\]\.http\.redirect\.port$/,
    ],
    [
      'bindings.0.http',
      { redirect: { protocol: 'HTTPS', path: 'x' } },
      /^bindings\[0\]\.http\.redirect\.path$/,
    ],
    ['bindings.0.https', { port: 80 }, /^bindings\[0\]\.https\.port$/],
    ['bindings.0.https', { sslPolicy: 'TLS13' }, /^bindings\[0\]\.https\.sslPolicy$/],
    ['bindings.0.https', { certificateArn: 'my-cert' }, /^bindings\[0\]\.https\.certificateArn$/],
    ['bindings.0.healthCheck', { matcher: '404' }, /^bindings\[0\]\.healthCheck\.path$/],
    ['bindings.0.healthCheck', { path: '/', matcher: 'ok' }, /^bindings\[0\]\.healthCheck\.matcher$/],
    [
      'bindings.0.healthCheck',
      { path: '/', matcher: '200', intervalSeconds: 5, timeoutSeconds: 5 },
      /^bindings\[0\]\.healthCheck\.timeoutSeconds$/,
    ],
    [
      'bindings.0.healthCheck',
      { path: '/', matcher: '200', healthyThreshold: 11 },
      /^bindings\[0\]\.healthCheck\.healthyThreshold$/,
    ],
  ];

  it.each(cases)('%s = %j', (field, value, expected) => {
    const issues = issuesOf(withField(field, value));
    expect(issues.map((issue) => issue.field)).toContainEqual(expect.stringMatching(expected));
  });

  it('quotes the bad value in the message', () => {
    const [issue] = issuesOf(withField('bindings.0.targetPort', 70000));
    expect(issue?.message).toContain('got 70000');
  });

  it('rejects unknown keys at any depth and names them', () => {
    const issues = issuesOf(withField('bindings.0.http', { port: 80, forignRules: 'report' }));
    expect(issues).toEqual([
      { field: 'bindings[0].http', message: expect.stringContaining('"forignRules"') },
    ]);
    expect(issuesOf({ ...minimal(), extra: true })[0]?.message).toContain('"extra"');
  });

  it('suggests the key a misspelt one was meant to be, and lists the known keys when nothing is close', () => {
    expect(issuesOf(withField('bindings.0.http', { port: 80, forignRules: 'report' }))[0]?.message).toBe(
      'unknown key "forignRules" (did you mean "foreignRules"?)',
    );
    expect(issuesOf({ ...minimal(), bindigs: [] })[0]?.message).toBe(
      'unknown key "bindigs" (did you mean "bindings"?)',
    );
    expect(issuesOf({ ...minimal(), colour: 'red' })[0]?.message).toMatch(
      /^unknown key "colour"; known here: mode, controllerRoleArns, alerts, safety, .*, limits, bindings, discovery$/,
    );
  });

  it('rejects duplicate binding names', () => {
    const document = minimal();
    const [first] = document.bindings as Record<string, unknown>[];
    document.bindings = [first, { ...first, loadBalancerArn: LB.replace('50dc', '60dc') }];
    expect(issuesOf(document)).toEqual([
      { field: 'bindings[1].name', message: expect.stringContaining('already used by bindings[0]') },
    ]);
  });

  it('rejects two bindings guarding the same listener', () => {
    const document = minimal();
    const [first] = document.bindings as Record<string, unknown>[];
    document.bindings = [first, { ...first, name: 'other' }];
    expect(issuesOf(document)[0]).toEqual({
      field: 'bindings[1].loadBalancerArn',
      message: expect.stringContaining('two bindings would fight'),
    });
  });

  it('reports every bad field at once, not just the first', () => {
    const document = withField('mode', 'x');
    (document.alerts as Record<string, unknown>).stateTable = '!';
    expect(issuesOf(document).map((issue) => issue.field)).toEqual(['mode', 'alerts.stateTable']);
  });
});

describe('loadConfig', () => {
  const inline = JSON.stringify(minimal());

  it('reads WARDEN_CONFIG as inline JSON', () => {
    expect(loadConfig({ env: { WARDEN_CONFIG: inline } }).bindings[0]?.name).toBe('web');
  });

  it('reads WARDEN_CONFIG_FILE from a path', () => {
    const config = loadConfig({ env: { WARDEN_CONFIG_FILE: EXAMPLE_PATH } });
    expect(config.bindings[0]?.healthCheck?.path).toBe('/');
  });

  it('names the source and the reason when the file cannot be read', () => {
    expect(() => loadConfig({ env: { WARDEN_CONFIG_FILE: '/nonexistent/warden.json' } })).toThrow(
      /WARDEN_CONFIG_FILE=\/nonexistent\/warden\.json[\s\S]*cannot be read: ENOENT/,
    );
  });

  it('rejects text that is not JSON', () => {
    expect(() => loadConfig({ env: { WARDEN_CONFIG: '{mode: enforce' } })).toThrow(
      /WARDEN_CONFIG[\s\S]*not valid JSON/,
    );
  });

  it('refuses to guess when no source or both sources are set', () => {
    expect(() => loadConfig({ env: {} })).toThrow(/set WARDEN_CONFIG \(inline JSON\) or WARDEN_CONFIG_FILE/);
    expect(() => loadConfig({ env: { WARDEN_CONFIG: inline, WARDEN_CONFIG_FILE: EXAMPLE_PATH } })).toThrow(
      /either WARDEN_CONFIG or WARDEN_CONFIG_FILE, not both/,
    );
  });

  it('lets deploy-time environment values override the document', () => {
    const config = loadConfig({
      env: {
        WARDEN_CONFIG: inline,
        WARDEN_MODE: 'dry-run',
        WARDEN_ALERT_TOPIC_ARN: 'arn:aws:sns:ap-northeast-2:123456789012:deployed',
        WARDEN_ALERT_STATE_TABLE: 'deployed-table',
        WARDEN_CONTROLLER_ROLE_ARNS: 'arn:aws:iam::123456789012:role/A, arn:aws:iam::123456789012:role/B',
      },
    });
    expect(config.mode).toBe('dry-run');
    expect(config.alerts.topicArn).toBe('arn:aws:sns:ap-northeast-2:123456789012:deployed');
    expect(config.alerts.stateTable).toBe('deployed-table');
    expect(config.controllerRoleArns).toEqual([
      'arn:aws:iam::123456789012:role/A',
      'arn:aws:iam::123456789012:role/B',
    ]);
  });

  it('validates override values like any other field', () => {
    expect(() => loadConfig({ env: { WARDEN_CONFIG: inline, WARDEN_MODE: 'yolo' } })).toThrow(
      /mode: .*got "yolo"/,
    );
  });
});

describe('missing required fields', () => {
  it('says the field is required rather than quoting a value', () => {
    const issues = issuesOf(withField('alerts.stateTable', undefined));
    expect(issues).toEqual([{ field: 'alerts.stateTable', message: 'is required (a string)' }]);
  });
});

describe('discovery policies', () => {
  const policy = {
    name: 'fleet',
    selector: { tags: { 'alb-warden:guard': 'true' } },
    defaults: { targetPort: 9000, instanceSelector: { tags: { Role: 'web' } } },
  };
  const onlyDiscovery = () => ({ alerts: minimal().alerts, discovery: [policy] });

  it('may stand alone, without explicit bindings, and keep their defaults as given', () => {
    const config = parseConfig(onlyDiscovery());

    expect(config.bindings).toEqual([]);
    expect(config.discovery).toEqual([
      {
        name: 'fleet',
        selector: { tags: { 'alb-warden:guard': 'true' } },
        defaults: { targetPort: 9000, instanceSelector: { tags: { Role: 'web' } } },
      },
    ]);
  });

  it('defaults to none beside explicit bindings', () => {
    expect(parseConfig(minimal()).discovery).toEqual([]);
  });

  it('needs at least one binding or one policy', () => {
    expect(issuesOf({ alerts: minimal().alerts })).toEqual([
      {
        field: 'bindings',
        message: 'must list at least one binding, or configure at least one discovery policy, got nothing',
      },
    ]);
  });

  it.each([
    [{ ...policy, selector: { tags: {} } }, 'discovery[0].selector.tags', /must name 1-50 tags/],
    [{ ...policy, name: 'no spaces' }, 'discovery[0].name', /must be 1-32 letters/],
    [{ ...policy, defaults: { targetPort: 0 } }, 'discovery[0].defaults.targetPort', /got 0/],
    [
      { ...policy, defaults: { loadBalancerArn: LB } },
      'discovery[0].defaults',
      /unknown key "loadBalancerArn"/,
    ],
  ])('rejects the policy %j naming %s', (bad, field, message) => {
    const issues = issuesOf({ alerts: minimal().alerts, discovery: [bad] });

    expect(issues).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  it('rejects two policies of the same name', () => {
    expect(issuesOf({ alerts: minimal().alerts, discovery: [policy, policy] })).toEqual([
      {
        field: 'discovery[1].name',
        message: '"fleet" is already used by discovery[0]: names must be unique, got "fleet"',
      },
    ]);
  });
});

describe('checkBinding', () => {
  it('accepts a binding with the rules of the bindings list, defaults applied', () => {
    const checked = checkBinding((minimal().bindings as unknown[])[0]);

    expect(checked).toEqual({ binding: expect.objectContaining({ name: 'web', targetPort: 8080 }) });
  });

  it('names the binding field and the bad value', () => {
    const checked = checkBinding({ name: 'web', loadBalancerArn: LB, targetGroupArn: TG, targetPort: 'x' });

    expect(checked).toEqual({
      issues: [
        { field: 'targetPort', message: expect.stringMatching(/got "x"/) },
        { field: 'instanceSelector', message: 'is required (an object)' },
      ],
    });
  });
});
