/**
 * A member account and region for a hub to watch: the account joined to the organization, an administrator's
 * key placed in it, and the seed topology (sim/seed.ts) built there through ordinary SDK calls signed for the
 * member's region. What the member stack adds (role, forwarding rules) is the caller's to create, with the
 * administrator's key.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SimControl } from './control.ts';
import { buildSeedTopology, type SeedTopology } from './seed.ts';

export interface MemberOptions {
  readonly account: string;
  readonly region: string;
  /** @default - the account belongs to no organization */
  readonly organizationId?: string;
  /** The administrator's access key. @default `AKIA` + the account + `ADMIN` */
  readonly adminAccessKeyId?: string;
}

export interface SeededMember {
  readonly topology: SeedTopology;
  /** Signs as `arn:aws:sts::ACCOUNT:assumed-role/Admin/seeder` in the member account. */
  readonly adminAccessKeyId: string;
}

export async function seedMember(
  simulator: { readonly endpoint: string; readonly control: SimControl },
  options: MemberOptions,
  secretAccessKey = 'simulator-secret',
): Promise<SeededMember> {
  const { account, region } = options;
  const adminAccessKeyId = options.adminAccessKeyId ?? `AKIA${account}ADMIN`;
  if (options.organizationId) await simulator.control.organization(account, options.organizationId);
  await simulator.control
    .in({ account })
    .identity(adminAccessKeyId, `arn:aws:sts::${account}:assumed-role/Admin/seeder`);
  const config = {
    endpoint: simulator.endpoint,
    region,
    credentials: { accessKeyId: adminAccessKeyId, secretAccessKey },
  };
  const ec2 = new EC2Client(config);
  const elbv2 = new ElasticLoadBalancingV2Client(config);
  try {
    return { topology: await buildSeedTopology({ ec2, elbv2 }), adminAccessKeyId };
  } finally {
    ec2.destroy();
    elbv2.destroy();
  }
}
