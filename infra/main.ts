/**
 * Composes the app from its settings (infra/context.ts): the Warden stack always, the Edge stack when
 * `deployEdge` is set, and the cdk-nag AwsSolutions checks over both (a finding fails synth).
 * infra/app.ts is the entry point `cdk` runs; tests call createApp directly.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type AppSettings, readSettings } from './context.ts';
import { EdgeStack } from './edge-stack.ts';
import { WardenStack } from './warden-stack.ts';

export const WARDEN_STACK_NAME = 'AlbWarden';
export const EDGE_STACK_NAME = 'AlbWardenEdge';

export interface CreateAppOptions extends AppProps {
  /** Where the Lambda bundles are. @default the repository's dist/ */
  readonly distDir?: string;
}

export interface WardenApp {
  readonly app: App;
  readonly settings: AppSettings;
  readonly warden: WardenStack;
  readonly edge?: EdgeStack;
}

export function createApp(options: CreateAppOptions = {}): WardenApp {
  const { distDir, ...appProps } = options;
  const app = new App(appProps);
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const env = { account: settings.account, region: settings.region };

  let edge: EdgeStack | undefined;
  let bindings = settings.config.bindings ?? [];
  if (settings.deployEdge) {
    edge = new EdgeStack(app, EDGE_STACK_NAME, {
      env,
      description: 'alb-warden: the ALB topology the controller guards (VPC, ALB, listeners, target group)',
      ...settings.edge,
    });
    bindings = [...bindings, edge.binding(settings.edge.bindingName, settings.edge.instanceSelector)];
  }

  const warden = new WardenStack(app, WARDEN_STACK_NAME, {
    env,
    description: 'alb-warden: self-healing controller for an Application Load Balancer in front of EC2',
    config: { ...settings.config, bindings },
    configSource: 'context "config"',
    distDir,
    alertEmails: settings.alertEmails,
    createTrail: settings.createTrail,
    sweepSchedule: events.Schedule.expression(settings.sweepSchedule),
  });
  if (edge) warden.addStackDependency(edge, 'binds to the Edge stack’s exported ARNs');

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return edge ? { app, settings, warden, edge } : { app, settings, warden };
}
