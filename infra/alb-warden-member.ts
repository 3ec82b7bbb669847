/**
 * What a member account and region holds so that a hub controller elsewhere can watch and repair its load
 * balancers: EventBridge rules on its default bus that forward the events the controller acts on (the very
 * patterns the hub deploys) to the hub's event bus, and a role the hub's function roles assume, holding the
 * ELB, EC2, Auto Scaling and tagging calls the controller's adapters make, writes only on resources carrying
 * the guard tag. The role is named per region (`AlbWardenMember-<region>`) because IAM names are account-wide and one
 * StackSet deploys this to several regions of an account.
 *
 * Cross-account and cross-Region event bus targets, and the role they need:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
 * The trust conditions: aws:PrincipalOrgID and sts:ExternalId
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).
 */
import {
  Aws,
  BootstraplessSynthesizer,
  CfnParameter,
  Duration,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MEMBER_ROLE_PREFIX } from '../functions/domain/accounts.ts';
import { cdkPattern } from './alb-warden.ts';
import {
  acknowledgeReads,
  discoverStatement,
  type GuardTag,
  readStatements,
  taggedWrites,
} from './constructs/controller-role.ts';
import { apiCallPattern, INSTANCE_STATE_PATTERN } from './event-patterns.ts';
import { findingText } from './sizes.ts';

export { MEMBER_ROLE_PREFIX };

/** The role the hub assumes in a member account and region. */
export function memberRoleArn(account: string, region: string): string {
  return `arn:aws:iam::${account}:role/${MEMBER_ROLE_PREFIX}-${region}`;
}

/** The guard tag a member's load balancers, listeners and target groups carry. */
export const DEFAULT_MEMBER_GUARD_TAG: GuardTag = { key: 'alb-warden:guard', value: 'true' };

export interface AlbWardenMemberProps {
  /** The hub's account id. */
  readonly hubAccount: string;
  /** The hub's home region, where its event bus is. */
  readonly hubRegion: string;
  /**
   * The hub's function roles: only principals whose ARN matches one of these may assume the member role.
   * ARN patterns (`*` allowed), or a deploy-time list. @default - every role of the hub account named `AlbWarden-*`
   */
  readonly hubRoleArns?: readonly string[];
  /** Only principals of this AWS Organizations organization may assume the role. @default - no such condition */
  readonly organizationId?: string;
  /** The external id the hub passes to AssumeRole. @default - no such condition */
  readonly externalId?: string;
  /**
   * Writes are allowed only on load balancers, listeners and target groups carrying this tag.
   * @default alb-warden:guard=true
   */
  readonly guardTag?: GuardTag;
  /**
   * The weakest security policy a repaired or recreated HTTPS listener may get.
   * @default 'ELBSecurityPolicy-TLS13-1-2-2021-06'
   */
  readonly minimumSslPolicy?: string;
}

export class AlbWardenMember extends Construct {
  /** The role the hub assumes. */
  readonly role: iam.Role;
  /** The role EventBridge uses to put the forwarded events on the hub's bus. */
  readonly forwarderRole: iam.Role;
  readonly rules: { readonly instanceState: events.Rule; readonly apiCalls: events.Rule };

  constructor(scope: Construct, id: string, props: AlbWardenMemberProps) {
    super(scope, id);
    checkProps(props);
    const stack = Stack.of(this);
    const hubRoleArns = props.hubRoleArns ?? [`arn:aws:iam::${props.hubAccount}:role/AlbWarden-*`];
    const trust = {
      ArnLike: { 'aws:PrincipalArn': hubRoleArns },
      ...(props.organizationId || props.externalId
        ? {
            StringEquals: {
              ...(props.organizationId ? { 'aws:PrincipalOrgID': props.organizationId } : {}),
              ...(props.externalId ? { 'sts:ExternalId': props.externalId } : {}),
            },
          }
        : {}),
    };
    const roleName = `${MEMBER_ROLE_PREFIX}-${Aws.REGION}`;
    // As CloudTrail's session issuer names it: built from the name, not read from the role.
    const roleArn = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: roleName });
    this.role = new iam.Role(this, 'Role', {
      roleName,
      assumedBy: new iam.AccountPrincipal(props.hubAccount).withConditions(trust),
      // Role chaining (a Lambda role session assuming this role) caps a session at one hour anyway.
      maxSessionDuration: Duration.hours(1),
      description: 'alb-warden hub: reads and repairs the load balancers of this account and region',
    });
    const duties = { listeners: true, healthChecks: true };
    const guardTag = props.guardTag ?? DEFAULT_MEMBER_GUARD_TAG;
    const fleet = {
      loadBalancerArn: '*',
      targetGroupArn: '*',
      sslPolicy: props.minimumSslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      enforcesHealthCheck: true,
      removesForeignRules: true,
    };
    const statements = [
      ...readStatements(duties),
      // The hub's discovery policies for this account read its tagged load balancers with this role.
      discoverStatement(),
      ...taggedWrites(stack, guardTag, duties, [fleet], (resources, reason) => {
        for (const resource of resources) {
          Validations.of(this.role).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${findingText(stack, resource)}]`,
            reason: reason.replace('Too many bindings to list by ARN', 'The hub binds what it discovers'),
          });
        }
      }),
    ];
    for (const statement of statements) this.role.addToPrincipalPolicy(statement);
    acknowledgeReads(this.role);

    const hubBus = events.EventBus.fromEventBusArn(
      this,
      'HubBus',
      `arn:aws:events:${props.hubRegion}:${props.hubAccount}:event-bus/default`,
    );
    this.forwarderRole = new iam.Role(this, 'ForwarderRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: "alb-warden: puts this account's ELB and EC2 events on the hub's event bus",
    });
    const target = new targets.EventBus(hubBus, { role: this.forwarderRole });
    this.rules = {
      instanceState: new events.Rule(this, 'InstanceStateRule', {
        description: "alb-warden: EC2 instance state changes and Spot interruption warnings to the hub's bus",
        eventPattern: cdkPattern(INSTANCE_STATE_PATTERN),
        targets: [target],
      }),
      apiCalls: new events.Rule(this, 'ApiCallRule', {
        description: "alb-warden: successful ELB API calls by anyone but the hub's role to the hub's bus",
        // The hub's own writes here are made as this role: they are not forwarded back to it.
        eventPattern: cdkPattern(apiCallPattern([roleArn])),
        targets: [target],
      }),
    };
  }
}

export interface AlbWardenMemberStackProps extends StackProps, Omit<AlbWardenMemberProps, 'hubRoleArns'> {
  /** Default of the `HubRoleArns` parameter. @default - every role of the hub account named `AlbWarden-*` */
  readonly hubRoleArns?: readonly string[];
}

/**
 * The member stack as a self-contained template: no assets, no bootstrap stack needed in the member (it
 * synthesizes with the bootstrapless synthesizer), environment-agnostic so one template serves every account
 * and region of a StackSet. Its one parameter, `HubRoleArns`, lets the hub's StackSet pass its function
 * roles' exact ARNs.
 */
export class AlbWardenMemberStack extends Stack {
  readonly member: AlbWardenMember;
  readonly hubRoleArns: CfnParameter;

  constructor(scope: Construct, id: string, props: AlbWardenMemberStackProps) {
    super(scope, id, { analyticsReporting: false, ...props, synthesizer: new BootstraplessSynthesizer() });
    const defaults = props.hubRoleArns ?? [`arn:aws:iam::${props.hubAccount}:role/AlbWarden-*`];
    this.hubRoleArns = new CfnParameter(this, 'HubRoleArns', {
      type: 'CommaDelimitedList',
      default: defaults.join(','),
      description: "ARNs (or ARN patterns) of the hub's function roles, which may assume the member role",
    });
    this.member = new AlbWardenMember(this, 'Member', {
      ...props,
      hubRoleArns: this.hubRoleArns.valueAsList,
    });
  }
}

function checkProps(props: AlbWardenMemberProps): void {
  if (!/^\d{12}$/.test(props.hubAccount))
    throw new Error(
      `AlbWardenMember props.hubAccount: ${JSON.stringify(props.hubAccount)} is not a 12-digit account id`,
    );
  if (!/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(props.hubRegion))
    throw new Error(
      `AlbWardenMember props.hubRegion: ${JSON.stringify(props.hubRegion)} is not a region name`,
    );
  if (!props.organizationId && !props.externalId)
    throw new Error(
      'AlbWardenMember props: give organizationId, externalId or both; without either, any role of the hub ' +
        'account named like props.hubRoleArns could be used from outside the organization without a shared secret',
    );
  if (props.organizationId && !/^o-[a-z0-9]{10,32}$/.test(props.organizationId))
    throw new Error(
      `AlbWardenMember props.organizationId: ${JSON.stringify(props.organizationId)} is not an organization id (o-…)`,
    );
  if (
    props.externalId !== undefined &&
    !Token.isUnresolved(props.externalId) &&
    !/^[\w+=,.@:/-]{2,1224}$/.test(props.externalId)
  )
    throw new Error(
      'AlbWardenMember props.externalId: 2 to 1224 characters of letters, digits and +=,.@:/- (what STS accepts)',
    );
}
