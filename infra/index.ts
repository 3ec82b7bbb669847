/**
 * The package's CDK entry, `alb-warden/cdk`: the constructs a CDK app adds to its own stacks. The functions'
 * code ships prebuilt beside this module (dist/<function>), so synthesis runs no bundler.
 */

export { ConfigError } from '../functions/errors.ts';
export {
  AlbWarden,
  type AlbWardenEdgeBinding,
  type AlbWardenProps,
  STACK_RESOURCE_LIMIT,
} from './alb-warden.ts';
export { AlbWardenEdge, type AlbWardenEdgeProps, type EdgeParameterNames } from './alb-warden-edge.ts';
export { AlbWardenHub, type AlbWardenHubProps } from './alb-warden-hub.ts';
export {
  AlbWardenMember,
  type AlbWardenMemberProps,
  AlbWardenMemberStack,
  type AlbWardenMemberStackProps,
  memberRoleArn,
} from './alb-warden-member.ts';
export type {
  AlbWardenConfig,
  AlertsInput,
  BindingInput,
  HealthCheckInput,
  InstanceSelectorInput,
  RedirectInput,
} from './config-input.ts';
export type { GuardTag } from './constructs/controller-role.ts';
