/**
 * What secures an HTTPS listener: its certificates (default and SNI list), security policy, mutual TLS and
 * authenticate actions with their client secret rules.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateOidcActionConfig.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/mutual-authentication.html
 */
import {
  type Action,
  AddListenerCertificatesCommand,
  CreateListenerCommand,
  CreateRuleCommand,
  DescribeListenerCertificatesCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
  RemoveListenerCertificatesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildSeedTopology, type SeedTopology } from '../../sim/seed.ts';
import { awsError, useSim } from './support.ts';

const sim = useSim();
let seed: SeedTopology;

const OTHER_CERT = 'arn:aws:acm:ap-northeast-2:123456789012:certificate/0a0a0a0a-1b1b-2c2c-3d3d-4e4e4e4e4e4e';

beforeEach(async () => {
  seed = await buildSeedTopology(sim.clients);
});

const describeListener = async (arn: string) =>
  (await sim.clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [arn] }))).Listeners?.[0];

function oidc(extra: Record<string, unknown> = {}): Action {
  return {
    Type: 'authenticate-oidc',
    Order: 1,
    AuthenticateOidcConfig: {
      Issuer: 'https://idp.example.com',
      AuthorizationEndpoint: 'https://idp.example.com/authorize',
      TokenEndpoint: 'https://idp.example.com/token',
      UserInfoEndpoint: 'https://idp.example.com/userinfo',
      ClientId: 'alb-client',
      ...extra,
    },
  };
}

const forward = (): Action => ({ Type: 'forward', Order: 2, TargetGroupArn: seed.targetGroupArn });

const modifyHttps = (actions: Action[]) =>
  sim.clients.elbv2.send(
    new ModifyListenerCommand({ ListenerArn: seed.httpsListenerArn, DefaultActions: actions }),
  );

describe('certificates', () => {
  it('knows the seed certificate in a fresh world', async () => {
    expect((await describeListener(seed.httpsListenerArn))?.Certificates).toEqual([
      { CertificateArn: seed.certificateArn },
    ]);
  });

  it('refuses a certificate ACM does not hold with CertificateNotFound, on create and modify', async () => {
    const onModify = await awsError(
      sim.clients.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpsListenerArn,
          Certificates: [{ CertificateArn: OTHER_CERT }],
        }),
      ),
    );
    const onCreate = await awsError(
      sim.clients.elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: seed.loadBalancerArn,
          Port: 8443,
          Protocol: 'HTTPS',
          Certificates: [{ CertificateArn: OTHER_CERT }],
          DefaultActions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
        }),
      ),
    );

    for (const error of [onModify, onCreate]) {
      expect(error).toMatchObject({
        name: 'CertificateNotFoundException',
        code: 'CertificateNotFound',
        message: `Certificate '${OTHER_CERT}' not found`,
        status: 400,
      });
    }
  });

  it('accepts a certificate once the control API issued it, and refuses it once deleted', async () => {
    await sim.control.certificate(OTHER_CERT);
    await sim.clients.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: seed.httpsListenerArn,
        Certificates: [{ CertificateArn: OTHER_CERT }],
      }),
    );
    const changed = (await describeListener(seed.httpsListenerArn))?.Certificates;
    await sim.control.certificate(OTHER_CERT, { deleted: true });

    const error = await awsError(
      sim.clients.elbv2.send(
        new AddListenerCertificatesCommand({
          ListenerArn: seed.httpsListenerArn,
          Certificates: [{ CertificateArn: OTHER_CERT }],
        }),
      ),
    );

    expect(changed).toEqual([{ CertificateArn: OTHER_CERT }]);
    expect(error.code).toBe('CertificateNotFound');
  });

  it('refuses to issue what is not a certificate ARN, naming the form it wants', async () => {
    await expect(sim.control.certificate('3f4e6a2b')).rejects.toThrow(
      /certificateArn must be an ACM certificate ARN/,
    );
  });

  it('keeps an SNI list beside the default certificate', async () => {
    await sim.control.certificate(OTHER_CERT);

    await sim.clients.elbv2.send(
      new AddListenerCertificatesCommand({
        ListenerArn: seed.httpsListenerArn,
        Certificates: [{ CertificateArn: OTHER_CERT }],
      }),
    );
    const listed = await sim.clients.elbv2.send(
      new DescribeListenerCertificatesCommand({ ListenerArn: seed.httpsListenerArn }),
    );
    const removeDefault = await awsError(
      sim.clients.elbv2.send(
        new RemoveListenerCertificatesCommand({
          ListenerArn: seed.httpsListenerArn,
          Certificates: [{ CertificateArn: seed.certificateArn }],
        }),
      ),
    );

    expect(listed.Certificates).toEqual([
      { CertificateArn: seed.certificateArn, IsDefault: true },
      { CertificateArn: OTHER_CERT, IsDefault: false },
    ]);
    expect(removeDefault.code).toBe('OperationNotPermitted');
    expect((await describeListener(seed.httpsListenerArn))?.Certificates).toEqual([
      { CertificateArn: seed.certificateArn },
    ]);
  });
});

describe('security policy and mutual TLS', () => {
  it('refuses a policy name that is not a predefined one', async () => {
    const error = await awsError(
      sim.clients.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpsListenerArn,
          SslPolicy: 'ELBSecurityPolicy-Custom',
        }),
      ),
    );

    expect(error).toMatchObject({
      code: 'SSLPolicyNotFound',
      message: "SSL policy 'ELBSecurityPolicy-Custom' not found",
    });
    expect((await describeListener(seed.httpsListenerArn))?.SslPolicy).toBe(
      'ELBSecurityPolicy-TLS13-1-2-2021-06',
    );
  });

  it('reports mutual TLS off by default, and verify with its trust store once set', async () => {
    const before = (await describeListener(seed.httpsListenerArn))?.MutualAuthentication;
    const trustStoreArn =
      'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:truststore/clients/0123456789abcdef';

    await sim.clients.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: seed.httpsListenerArn,
        MutualAuthentication: { Mode: 'verify', TrustStoreArn: trustStoreArn },
      }),
    );
    const missingStore = await awsError(
      sim.clients.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpsListenerArn,
          MutualAuthentication: { Mode: 'verify' },
        }),
      ),
    );

    expect(before).toEqual({ Mode: 'off' });
    expect((await describeListener(seed.httpsListenerArn))?.MutualAuthentication).toEqual({
      Mode: 'verify',
      TrustStoreArn: trustStoreArn,
      IgnoreClientCertificateExpiry: false,
    });
    expect(missingStore.code).toBe('ValidationError');
    expect((await describeListener(seed.httpListenerArn))?.MutualAuthentication).toBeUndefined();
  });
});

describe('authenticate-oidc', () => {
  it('needs a client secret to create the action', async () => {
    const error = await awsError(modifyHttps([oidc(), forward()]));

    expect(error).toMatchObject({ code: 'InvalidLoadBalancerAction', status: 400 });
    expect(error.message).toContain('client secret');
  });

  it('never reports the client secret, and keeps it when a modification asks to', async () => {
    await modifyHttps([oidc({ ClientSecret: 's3cr3t-value' }), forward()]);
    await modifyHttps([oidc({ UseExistingClientSecret: true, Scope: 'openid email' }), forward()]);
    const listener = await describeListener(seed.httpsListenerArn);
    const rules = await sim.clients.elbv2.send(
      new DescribeRulesCommand({ ListenerArn: seed.httpsListenerArn }),
    );

    expect(listener?.DefaultActions?.[0]).toEqual({
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp.example.com',
        AuthorizationEndpoint: 'https://idp.example.com/authorize',
        TokenEndpoint: 'https://idp.example.com/token',
        UserInfoEndpoint: 'https://idp.example.com/userinfo',
        ClientId: 'alb-client',
        SessionCookieName: 'AWSELBAuthSessionCookie',
        Scope: 'openid email',
        SessionTimeout: 604800,
        OnUnauthenticatedRequest: 'authenticate',
      },
    });
    expect(JSON.stringify(rules)).not.toContain('s3cr3t-value');
  });

  it('refuses UseExistingClientSecret where there is no secret to keep', async () => {
    const onCreate = await awsError(
      sim.clients.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: seed.httpsListenerArn,
          Priority: 10,
          Conditions: [{ Field: 'path-pattern', Values: ['/admin/*'] }],
          Actions: [oidc({ UseExistingClientSecret: true }), forward()],
        }),
      ),
    );

    expect(onCreate.code).toBe('InvalidLoadBalancerAction');
    expect(onCreate.message).toContain('UseExistingClientSecret');
  });

  it('hides the client secret from the CloudTrail record of the call', async () => {
    const { cursor } = await sim.control.events();

    await modifyHttps([oidc({ ClientSecret: 's3cr3t-value' }), forward()]);
    const { events } = await sim.control.events(cursor);

    expect(JSON.stringify(events)).not.toContain('s3cr3t-value');
    expect(JSON.stringify(events)).toContain('HIDDEN_DUE_TO_SECURITY_REASONS');
  });

  it('is refused on an HTTP listener, and must come before the final action', async () => {
    const onHttp = await awsError(
      sim.clients.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpListenerArn,
          DefaultActions: [oidc({ ClientSecret: 'x' }), forward()],
        }),
      ),
    );
    const afterForward = await awsError(
      modifyHttps([{ ...oidc({ ClientSecret: 'x' }), Order: 3 }, forward()]),
    );

    expect(onHttp.code).toBe('InvalidLoadBalancerAction');
    expect(afterForward.code).toBe('InvalidLoadBalancerAction');
  });
});
