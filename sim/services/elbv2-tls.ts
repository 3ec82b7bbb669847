/**
 * What an HTTPS listener negotiates: its security policy, certificates and mutual TLS.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/mutual-authentication.html
 */
import { AwsError } from '../errors.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';

/** Given to an HTTPS listener created through the API without a policy. */
export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-2016-08';

/** The predefined security policies for Application Load Balancers (custom policies are not supported). */
export const SSL_POLICIES: ReadonlySet<string> = new Set([
  'ELBSecurityPolicy-TLS13-1-2-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-3-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06',
  'ELBSecurityPolicy-TLS13-1-1-2021-06',
  'ELBSecurityPolicy-TLS13-1-0-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04',
  'ELBSecurityPolicy-FS-1-2-Res-2020-10',
  'ELBSecurityPolicy-FS-1-2-Res-2019-08',
  'ELBSecurityPolicy-FS-1-2-2019-08',
  'ELBSecurityPolicy-FS-1-1-2019-08',
  'ELBSecurityPolicy-FS-2018-06',
  'ELBSecurityPolicy-TLS-1-2-Ext-2018-06',
  'ELBSecurityPolicy-TLS-1-2-2017-01',
  'ELBSecurityPolicy-TLS-1-1-2017-01',
  'ELBSecurityPolicy-2016-08',
  'ELBSecurityPolicy-2015-05',
]);

export function sslPolicy(name: string): string {
  if (!SSL_POLICIES.has(name)) throw new AwsError('SSLPolicyNotFound', `SSL policy '${name}' not found`);
  return name;
}

const MTLS_MODES = ['off', 'passthrough', 'verify'];

/**
 * `MutualAuthentication`: mode off (the default), passthrough, or verify against a trust store, which
 * verify requires (API_MutualAuthenticationAttributes). Trust stores themselves are not simulated.
 */
export function mutualAuthentication(config: QueryInput): XmlObject {
  const mode = config.str('Mode') ?? 'off';
  if (!MTLS_MODES.includes(mode)) {
    throw new AwsError(
      'ValidationError',
      `MutualAuthentication.Mode must be one of ${MTLS_MODES.join(', ')}, got '${mode}'`,
    );
  }
  if (mode !== 'verify') return { Mode: mode };
  const trustStoreArn = config.str('TrustStoreArn');
  if (
    trustStoreArn === undefined ||
    !/^arn:aws[\w-]*:elasticloadbalancing:[^:]+:\d{12}:truststore\/.+/.test(trustStoreArn)
  ) {
    throw new AwsError(
      'ValidationError',
      'A trust store ARN must be specified for mutual authentication in verify mode',
    );
  }
  return {
    Mode: mode,
    TrustStoreArn: trustStoreArn,
    IgnoreClientCertificateExpiry: config.bool('IgnoreClientCertificateExpiry') ?? false,
  };
}
