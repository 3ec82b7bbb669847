import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  driftFingerprint,
  isDesiredForward,
  isDesiredRedirect,
  normalizeAction,
  planListeners,
} from '../../../functions/domain/listeners.ts';
import type { Action } from '../../../functions/domain/model.ts';
import { policyStrength } from '../../../functions/domain/tls.ts';
import {
  CERT_ARN,
  defaultRule,
  forwardTo,
  HTTP_LISTENER_ARN,
  HTTPS_LISTENER_ARN,
  httpListener,
  httpsListener,
  OTHER_TG_ARN,
  redirect301,
  rule,
  seedConfig,
  TG_ARN,
} from '../../support/builders.ts';

const config = seedConfig();
const binding = config.bindings[0] as (typeof config.bindings)[number];
const desiredRequestRedirect = {
  Type: 'redirect',
  RedirectConfig: {
    Protocol: 'HTTPS',
    Port: '443',
    Host: '#{host}',
    Path: '/#{path}',
    Query: '#{query}',
    StatusCode: 'HTTP_301',
  },
};

describe('normalizeAction', () => {
  it('fills the placeholders AWS fills for a redirect given only protocol and status', () => {
    expect(
      normalizeAction({ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_302' } }),
    ).toEqual({
      type: 'redirect',
      protocol: 'HTTPS',
      port: '#{port}',
      host: '#{host}',
      path: '/#{path}',
      query: '#{query}',
      statusCode: 'HTTP_302',
    });
  });

  it('treats TargetGroupArn and a one-group ForwardConfig as the same forward', () => {
    const plain = normalizeAction({ Type: 'forward', TargetGroupArn: TG_ARN });
    expect(normalizeAction(forwardTo())).toEqual(plain);
    expect(
      normalizeAction({ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_ARN }] } }),
    ).toEqual(plain);
  });

  it('ignores groups that receive no traffic (weight 0)', () => {
    const weighted: Action = {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: TG_ARN, Weight: 10 },
          { TargetGroupArn: OTHER_TG_ARN, Weight: 0 },
        ],
      },
    };
    expect(normalizeAction(weighted)).toEqual({ type: 'forward', targetGroups: [TG_ARN] });
  });
});

describe('planListeners: a listener pair that matches', () => {
  it('plans nothing for the seed topology as AWS reports it', () => {
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener()],
      httpRules: [defaultRule()],
    });
    expect(plan).toEqual({ drifts: [], steps: [], blocked: [], findings: [] });
  });

  it('plans nothing when the HTTPS forward is weighted but only our group gets traffic', () => {
    const weighted: Action = {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: TG_ARN, Weight: 100 },
          { TargetGroupArn: OTHER_TG_ARN, Weight: 0 },
        ],
      },
    };
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener([weighted])],
      httpRules: [],
    });
    expect(plan.steps).toEqual([]);
  });

  it('leaves rules that redirect to HTTPS on the HTTP listener alone', () => {
    const toOtherHost = rule(5, [
      {
        Type: 'redirect',
        RedirectConfig: { Protocol: 'HTTPS', Host: 'www.example.com', StatusCode: 'HTTP_301' },
      },
    ]);
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener()],
      httpRules: [defaultRule(), toOtherHost],
    });
    expect(plan.steps).toEqual([]);
  });

  it('accepts authentication before the HTTPS forward', () => {
    const actions: Action[] = [
      { Type: 'authenticate-oidc', Order: 1 },
      { ...forwardTo(), Order: 2 },
    ];
    expect(isDesiredForward(actions, binding)).toBe(true);
  });
});

describe('planListeners: HTTP listener drift', () => {
  it('repairs a 302 redirect back to 301', () => {
    const redirect302: Action = {
      Type: 'redirect',
      RedirectConfig: { ...redirect301.RedirectConfig, StatusCode: 'HTTP_302' },
    };
    const plan = planListeners(binding, {
      listeners: [httpListener([redirect302]), httpsListener()],
      httpRules: [],
    });
    expect(plan.drifts).toEqual([
      expect.objectContaining({
        listener: 'http',
        kind: 'default-action',
        summary: expect.stringContaining('redirects 302'),
      }),
    ]);
    expect(plan.steps).toEqual([
      {
        type: 'modify-listener',
        listener: 'http',
        listenerArn: HTTP_LISTENER_ARN,
        before: httpListener([redirect302]),
        request: { port: 80, defaultActions: [desiredRequestRedirect] },
      },
    ]);
  });

  it('treats a redirect to #{port} as drift: on port 80 it would send clients to https://host:80', () => {
    const toSamePort: Action = {
      Type: 'redirect',
      RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_301' },
    };
    expect(isDesiredRedirect([toSamePort], binding)).toBe(false);
  });

  it('repairs a plain-HTTP forward back to the redirect', () => {
    const plan = planListeners(binding, {
      listeners: [httpListener([forwardTo()]), httpsListener()],
      httpRules: [],
    });
    expect(plan.steps.map((step) => step.type)).toEqual(['modify-listener']);
    expect(plan.drifts[0]?.summary).toBe(
      'port 80 forwards to web-8080 instead of redirecting to HTTPS (301 to HTTPS:443)',
    );
  });

  it('recreates a deleted HTTP listener with the redirect', () => {
    const plan = planListeners(binding, { listeners: [httpsListener()], httpRules: [] });
    expect(plan.steps).toEqual([
      {
        type: 'create-listener',
        listener: 'http',
        request: { port: 80, protocol: 'HTTP', defaultActions: [desiredRequestRedirect] },
      },
    ]);
  });

  it('deletes a priority-1 forward rule on port 80 when foreign rules are removed', () => {
    const foreign = rule(1, [forwardTo()]);
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener()],
      httpRules: [defaultRule(), foreign],
    });
    expect(plan.steps).toEqual([
      { type: 'delete-rule', listener: 'http', ruleArn: foreign.arn, before: foreign },
    ]);
  });

  it('only reports foreign rules when the binding says report', () => {
    const reporting = seedConfig({}, { http: { foreignRules: 'report' } }).bindings[0] as typeof binding;
    const fixed = rule(3, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }]);
    const plan = planListeners(reporting, {
      listeners: [httpListener(), httpsListener()],
      httpRules: [fixed],
    });
    expect(plan.steps).toEqual([]);
    expect(plan.findings).toEqual([expect.objectContaining({ kind: 'foreign-rule', ruleArn: fixed.arn })]);
  });

  it('counts a redirect rule to plain HTTP as serving plain HTTP', () => {
    const toHttp = rule(2, [
      {
        Type: 'redirect',
        RedirectConfig: { Protocol: 'HTTP', Host: 'old.example.com', StatusCode: 'HTTP_301' },
      },
    ]);
    const keepsProtocol = rule(3, [
      { Type: 'redirect', RedirectConfig: { Host: 'old.example.com', StatusCode: 'HTTP_301' } },
    ]);
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener()],
      httpRules: [toHttp, keepsProtocol],
    });
    expect(plan.steps.map((step) => step.type === 'delete-rule' && step.ruleArn)).toEqual([
      toHttp.arn,
      keepsProtocol.arn,
    ]);
  });

  it('never removes a certificate: TLS on port 80 is reported, not switched to HTTP', () => {
    const tls = httpListener([forwardTo()], { protocol: 'HTTPS', certificateArns: [CERT_ARN] });
    const plan = planListeners(binding, { listeners: [tls, httpsListener()], httpRules: [] });
    expect(plan.steps).toEqual([]);
    expect(plan.blocked).toEqual([expect.objectContaining({ listener: 'http', reason: 'tls-on-http-port' })]);
  });
});

describe('planListeners: HTTPS listener drift', () => {
  it('repairs a fixed-response default action back to the forward', () => {
    const maintenance: Action = {
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'maintenance' },
    };
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener([maintenance])],
      httpRules: [],
    });
    expect(plan.steps).toEqual([
      expect.objectContaining({
        type: 'modify-listener',
        listener: 'https',
        listenerArn: HTTPS_LISTENER_ARN,
        request: { port: 443, defaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }] },
      }),
    ]);
  });

  it('repairs a forward to another target group', () => {
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener([forwardTo(OTHER_TG_ARN)])],
      httpRules: [],
    });
    expect(plan.drifts[0]?.summary).toBe(
      'port 443 forwards to canary instead of forwarding to the target group',
    );
    expect(plan.steps).toHaveLength(1);
  });

  it('keeps leading authentication when it repairs the forward', () => {
    const auth: Action = { Type: 'authenticate-cognito', Order: 1 };
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener([auth, { ...forwardTo(OTHER_TG_ARN), Order: 2 }])],
      httpRules: [],
    });
    const [step] = plan.steps;
    expect(step?.type === 'modify-listener' && step.request.defaultActions).toEqual([
      auth,
      { Type: 'forward', TargetGroupArn: TG_ARN, Order: 2 },
    ]);
  });

  it('recreates a deleted HTTPS listener with the configured certificate and policy', () => {
    const plan = planListeners(binding, { listeners: [httpListener()], httpRules: [] });
    expect(plan.steps).toEqual([
      {
        type: 'create-listener',
        listener: 'https',
        request: {
          port: 443,
          protocol: 'HTTPS',
          defaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }],
          certificateArns: [CERT_ARN],
          sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        },
      },
    ]);
  });
});

describe('planListeners: safety before speed', () => {
  const noCertificate = seedConfig({}, { https: {} }).bindings[0] as typeof binding;

  it('leaves port 80 alone when HTTPS is gone and there is no certificate to recreate it', () => {
    const plan = planListeners(noCertificate, { listeners: [httpListener([forwardTo()])], httpRules: [] });
    expect(plan.steps).toEqual([]);
    expect(plan.blocked.map((block) => block.reason)).toEqual(['no-certificate', 'https-cannot-serve']);
    expect(plan.blocked[1]?.detail).toContain('someone may have changed port 80 on purpose');
  });

  it('does not delete a forward rule on port 80 while HTTPS cannot serve', () => {
    const plan = planListeners(noCertificate, {
      listeners: [httpListener()],
      httpRules: [rule(1, [forwardTo()])],
    });
    expect(plan.steps).toEqual([]);
  });

  it('repairs HTTPS before HTTP when both drifted', () => {
    const plan = planListeners(binding, {
      listeners: [httpListener([forwardTo()]), httpsListener([forwardTo(OTHER_TG_ARN)])],
      httpRules: [rule(1, [forwardTo()])],
    });
    expect(plan.steps.map((step) => `${step.type}:${step.listener}`)).toEqual([
      'modify-listener:https',
      'modify-listener:http',
      'delete-rule:http',
    ]);
  });

  it('recreates both listeners, HTTPS first, when both were deleted', () => {
    const plan = planListeners(binding, { listeners: [], httpRules: [] });
    expect(plan.steps.map((step) => `${step.type}:${step.listener}`)).toEqual([
      'create-listener:https',
      'create-listener:http',
    ]);
  });

  it('switches port 443 back to HTTPS with the configured certificate when someone made it HTTP', () => {
    const plain = httpsListener([forwardTo()], {
      protocol: 'HTTP',
      certificateArns: [],
      sslPolicy: undefined,
    });
    const plan = planListeners(binding, { listeners: [httpListener(), plain], httpRules: [] });
    expect(plan.steps[0]).toMatchObject({
      type: 'modify-listener',
      request: {
        protocol: 'HTTPS',
        certificateArns: [CERT_ARN],
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      },
    });
  });
});

describe('driftFingerprint', () => {
  it('is the same for the same wrong state and differs for another', () => {
    const planA = planListeners(binding, {
      listeners: [httpListener([forwardTo()]), httpsListener()],
      httpRules: [],
    });
    const planB = planListeners(binding, {
      listeners: [httpListener([forwardTo()]), httpsListener()],
      httpRules: [],
    });
    const planC = planListeners(binding, {
      listeners: [httpListener([forwardTo(OTHER_TG_ARN)]), httpsListener()],
      httpRules: [],
    });
    expect(driftFingerprint(planA)).toBe(driftFingerprint(planB));
    expect(driftFingerprint(planA)).not.toBe(driftFingerprint(planC));
    expect(driftFingerprint({ drifts: [], findings: [] })).toBe('');
  });
});

describe('property: the guard never modifies a listener that already matches', () => {
  // Every spelling AWS or a person may use for the desired redirect and forward.
  const optional = <T>(value: T) => fc.constantFrom<T | undefined>(value, undefined);
  const redirectSpelling = fc
    .record({
      Protocol: fc.constantFrom('HTTPS', 'https'),
      Port: fc.constant('443'),
      Host: optional('#{host}'),
      Path: optional('/#{path}'),
      Query: optional('#{query}'),
      StatusCode: fc.constant('HTTP_301'),
    })
    .map(
      (config): Action => ({
        Type: 'redirect',
        RedirectConfig: Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined)),
      }),
    );
  const forwardSpelling = fc.oneof(
    fc.constant<Action>({ Type: 'forward', TargetGroupArn: TG_ARN }),
    fc.constant<Action>(forwardTo()),
    fc.integer({ min: 1, max: 999 }).map(
      (weight): Action => ({
        Type: 'forward',
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_ARN, Weight: weight }] },
      }),
    ),
    fc.integer({ min: 1, max: 999 }).map(
      (weight): Action => ({
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: OTHER_TG_ARN, Weight: 0 },
            { TargetGroupArn: TG_ARN, Weight: weight },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
        },
      }),
    ),
  );

  it('plans zero steps for any equivalent spelling', () => {
    fc.assert(
      fc.property(
        redirectSpelling,
        forwardSpelling,
        fc.option(fc.integer({ min: 1, max: 50000 })),
        (redirect, forward, order) => {
          const withOrder = order === null ? redirect : { ...redirect, Order: order };
          const plan = planListeners(binding, {
            listeners: [httpListener([withOrder]), httpsListener([forward])],
            httpRules: [defaultRule([withOrder])],
          });
          expect(plan.steps).toEqual([]);
          expect(plan.drifts).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('planListeners: weighted forwards on HTTPS', () => {
  const canary: Action = {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: TG_ARN, Weight: 90 },
        { TargetGroupArn: OTHER_TG_ARN, Weight: 10 },
      ],
    },
  };
  const observed = { listeners: [httpListener(), httpsListener([canary])], httpRules: [] };

  it('leaves a 90/10 canary that still sends traffic to the bound group alone by default', () => {
    expect(binding.https.forward).toBe('includes-target-group');
    expect(planListeners(binding, observed).steps).toEqual([]);
  });

  it('repairs the same canary when the binding asks for the bound group alone (https.forward: exact)', () => {
    const exact = seedConfig({}, { https: { certificateArn: CERT_ARN, forward: 'exact' } }).bindings[0];
    if (!exact) throw new Error('no binding');
    expect(planListeners(exact, observed).steps.map((step) => step.type)).toEqual(['modify-listener']);
  });

  it('repairs a forward that gives the bound group no traffic, whatever the option', () => {
    const away: Action = {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: TG_ARN, Weight: 0 },
          { TargetGroupArn: OTHER_TG_ARN, Weight: 100 },
        ],
      },
    };
    const plan = planListeners(binding, {
      listeners: [httpListener(), httpsListener([away])],
      httpRules: [],
    });
    expect(plan.steps.map((step) => step.type)).toEqual(['modify-listener']);
  });
});

describe('planListeners: OIDC authentication before the forward', () => {
  // DescribeListeners returns the OIDC action without its client secret (ELB API reference,
  // AuthenticateOidcActionConfig); ModifyListener needs the secret or UseExistingClientSecret: true.
  const oidc: Action = {
    Type: 'authenticate-oidc',
    Order: 1,
    AuthenticateOidcConfig: {
      Issuer: 'https://idp.example.com',
      AuthorizationEndpoint: 'https://idp.example.com/authorize',
      TokenEndpoint: 'https://idp.example.com/token',
      UserInfoEndpoint: 'https://idp.example.com/userinfo',
      ClientId: 'alb',
    },
  };

  it('repairs the forward behind it telling ELB to keep the client secret it has', () => {
    const broken = httpsListener([
      oidc,
      { Type: 'fixed-response', Order: 2, FixedResponseConfig: { StatusCode: '503' } },
    ]);
    const [step] = planListeners(binding, { listeners: [httpListener(), broken], httpRules: [] }).steps;
    if (step?.type !== 'modify-listener') throw new Error('expected a modify-listener step');
    const [auth, forward] = step.request.defaultActions;
    expect(auth?.AuthenticateOidcConfig).toMatchObject({ ClientId: 'alb', UseExistingClientSecret: true });
    expect(auth?.AuthenticateOidcConfig).not.toHaveProperty('ClientSecret');
    expect(forward).toMatchObject({ Type: 'forward', TargetGroupArn: TG_ARN, Order: 2 });
  });
});

describe('planListeners: a deleted HTTPS listener comes back never weaker than it was', () => {
  const gone = { listeners: [httpListener()], httpRules: [] };
  const seen = {
    arn: HTTPS_LISTENER_ARN,
    sslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
    sniCertificateArns: ['arn:aws:acm:ap-northeast-2:123456789012:certificate/sni-1'],
    mutualAuthentication: {
      Mode: 'verify',
      TrustStoreArn: 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:truststore/ts/1',
    },
    defaultActions: [forwardTo()],
  };

  it('uses the stronger policy, the SNI certificates and the mutual TLS it last saw', () => {
    const [step] = planListeners(binding, { ...gone, httpsSeen: seen }).steps;
    if (step?.type !== 'create-listener') throw new Error('expected create-listener');
    expect(step.request).toMatchObject({
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
      certificateArns: [CERT_ARN],
      sniCertificateArns: seen.sniCertificateArns,
      mutualAuthentication: seen.mutualAuthentication,
    });
  });

  it('keeps the configured policy when the one it saw was weaker', () => {
    const weak = { ...seen, sslPolicy: 'ELBSecurityPolicy-2016-08' };
    const [step] = planListeners(binding, { ...gone, httpsSeen: weak }).steps;
    expect(step?.type === 'create-listener' && step.request.sslPolicy).toBe(
      'ELBSecurityPolicy-TLS13-1-2-2021-06',
    );
  });

  it('refuses to recreate a listener that authenticated with OIDC, critically, instead of opening the site', () => {
    const oidc = {
      ...seen,
      defaultActions: [
        { Type: 'authenticate-oidc', Order: 1 },
        { ...forwardTo(), Order: 2 },
      ],
    };
    const plan = planListeners(binding, { ...gone, httpsSeen: oidc });
    expect(plan.steps).toEqual([]);
    expect(plan.blocked.map((block) => block.reason)).toEqual(['needs-client-secret']);
  });

  it('keeps Cognito authentication in front of the forward when it recreates', () => {
    const cognito = {
      ...seen,
      defaultActions: [
        { Type: 'authenticate-cognito', Order: 1 },
        { ...forwardTo(), Order: 2 },
      ],
    };
    const [step] = planListeners(binding, { ...gone, httpsSeen: cognito }).steps;
    expect(
      step?.type === 'create-listener' && step.request.defaultActions.map((action) => action.Type),
    ).toEqual(['authenticate-cognito', 'forward']);
  });
});

describe('policyStrength', () => {
  it('orders policies by the lowest TLS version first, then by how restricted the ciphers are', () => {
    const ordered = [
      'ELBSecurityPolicy-2016-08',
      'ELBSecurityPolicy-TLS-1-1-2017-01',
      'ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06',
      'ELBSecurityPolicy-TLS13-1-2-2021-06',
      'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
      'ELBSecurityPolicy-TLS13-1-3-2021-06',
      'ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04',
    ];
    const strengths = ordered.map(policyStrength);
    expect([...strengths].sort((a, b) => a - b)).toEqual(strengths);
    expect(new Set(strengths).size).toBe(ordered.length);
  });
});
