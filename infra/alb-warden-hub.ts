/**
 * The hub side of a fleet in many accounts: the hub's default event bus accepts events from the accounts of
 * its organization, a CloudFormation StackSet with service-managed permissions deploys the member stack
 * (infra/alb-warden-member.ts) to every account of the given organizational units in the given regions, and
 * new accounts of those units get it automatically; the controller's function roles may assume the member
 * roles of the organization's accounts.
 *
 * StackSets with service-managed permissions and automatic deployment:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stackset.html
 * The bus policy for an organization: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
 * `aws:ResourceOrgID` on sts:AssumeRole: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
import { App, CfnStackSet, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { AlbWarden } from './alb-warden.ts';
import { AlbWardenMemberStack, MEMBER_ROLE_PREFIX } from './alb-warden-member.ts';
import { FUNCTION_DUTIES, type GuardTag } from './constructs/controller-role.ts';

/** CloudFormation's limit on a template passed in the request (TemplateBody). */
export const TEMPLATE_BODY_LIMIT = 51_200;

export interface AlbWardenHubProps {
  /** The controller whose function roles assume the member roles. */
  readonly warden: AlbWarden;
  /** The AWS Organizations organization of the hub and its members (`o-…`). */
  readonly organizationId: string;
  /** The organizational units (`ou-…` or the root `r-…`) whose accounts get the member stack. */
  readonly organizationalUnitIds: readonly string[];
  /** The regions of each member account that get the member stack. */
  readonly regions: readonly string[];
  /** An external id the member roles also require. @default - none: the organization condition alone */
  readonly externalId?: string;
  /** The tag on members' load balancers, listeners and target groups. @default alb-warden:guard=true */
  readonly guardTag?: GuardTag;
  /** The StackSet's name. @default 'AlbWardenMembers' */
  readonly stackSetName?: string;
}

export class AlbWardenHub extends Construct {
  /** The member stack's template, as the StackSet deploys it. */
  readonly memberTemplate: Readonly<Record<string, unknown>>;
  readonly stackSet: CfnStackSet;
  readonly busPolicy: events.CfnEventBusPolicy;

  constructor(scope: Construct, id: string, props: AlbWardenHubProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region))
      throw new Error(
        `AlbWardenHub: the stack ${stack.stackName} needs an explicit env (account and region): the member ` +
          "template names the hub's account and event bus literally",
      );
    checkProps(props);

    const busArn = `arn:aws:events:${stack.region}:${stack.account}:event-bus/default`;
    this.busPolicy = new events.CfnEventBusPolicy(this, 'MemberEvents', {
      eventBusName: 'default',
      statementId: 'AlbWardenMembers',
      statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: busArn,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
      },
    });

    // Its own app: the member template must not reference this stack (test/infra/accounts.test.ts holds it to cdk-nag).
    const memberApp = new App({ analyticsReporting: false });
    const member = new AlbWardenMemberStack(memberApp, 'AlbWardenMember', {
      hubAccount: stack.account,
      hubRegion: stack.region,
      organizationId: props.organizationId,
      ...(props.externalId === undefined ? {} : { externalId: props.externalId }),
      ...(props.guardTag === undefined ? {} : { guardTag: props.guardTag }),
    });
    this.memberTemplate = memberApp.synth().getStackByName(member.stackName).template as Record<
      string,
      unknown
    >;
    const templateBody = JSON.stringify(this.memberTemplate);
    if (templateBody.length > TEMPLATE_BODY_LIMIT)
      throw new Error(
        `AlbWardenHub: the member template takes ${templateBody.length} bytes, more than the ${TEMPLATE_BODY_LIMIT} CloudFormation accepts inline`,
      );

    // The functions that act in members; the scheduler only queues bindings, unless it discovers in members.
    const roles = Object.entries(props.warden.roles)
      .filter(
        ([name]) =>
          FUNCTION_DUTIES[name as keyof typeof FUNCTION_DUTIES].reconciles ||
          (name === 'sweep' && props.warden.discoversInMembers),
      )
      .map(([, controllerRole]) => controllerRole.role);
    this.stackSet = new CfnStackSet(this, 'Members', {
      stackSetName: props.stackSetName ?? 'AlbWardenMembers',
      description:
        "alb-warden member: forwards ELB and EC2 events to the hub and lets the hub's functions repair",
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      templateBody,
      parameters: [
        {
          parameterKey: 'HubRoleArns',
          parameterValue: Fn.join(
            ',',
            roles.map((r) => r.roleArn),
          ),
        },
      ],
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...props.organizationalUnitIds] },
          regions: [...props.regions],
        },
      ],
      // One member that fails to deploy does not hold back the others.
      operationPreferences: { failureTolerancePercentage: 100, maxConcurrentPercentage: 100 },
      managedExecution: { Active: true },
    });

    const memberRoles = `arn:aws:iam::*:role/${MEMBER_ROLE_PREFIX}-*`;
    for (const role of roles) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AssumeMemberRoles',
          actions: ['sts:AssumeRole'],
          resources: [memberRoles],
          conditions: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
        }),
      );
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${memberRoles}]`,
        reason:
          'The member roles are one per account and region of the organization, deployed by the StackSet as accounts join: named by their prefix, limited to accounts of the organization by aws:ResourceOrgID',
      });
    }
  }
}

function checkProps(props: AlbWardenHubProps): void {
  if (!/^o-[a-z0-9]{10,32}$/.test(props.organizationId))
    throw new Error(
      `AlbWardenHub props.organizationId: ${JSON.stringify(props.organizationId)} is not an organization id (o-…)`,
    );
  if (props.organizationalUnitIds.length === 0)
    throw new Error(
      'AlbWardenHub props.organizationalUnitIds: name at least one organizational unit (ou-…) or the root (r-…)',
    );
  for (const [index, ou] of props.organizationalUnitIds.entries())
    if (!/^(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/.test(ou))
      throw new Error(
        `AlbWardenHub props.organizationalUnitIds[${index}]: ${JSON.stringify(ou)} is not an organizational unit id (ou-…) or a root id (r-…)`,
      );
  if (props.regions.length === 0) throw new Error('AlbWardenHub props.regions: name at least one region');
  for (const [index, region] of props.regions.entries())
    if (!/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(region))
      throw new Error(`AlbWardenHub props.regions[${index}]: ${JSON.stringify(region)} is not a region name`);
}
