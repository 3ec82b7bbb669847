/**
 * Composes the app from its settings (infra/context.ts): the Warden stack always, the Edge stack when
 * `deployEdge` is set, and the cdk-nag AwsSolutions checks over both (a finding fails synth).
 * infra/app.ts is the entry point `cdk` runs; tests call createApp directly.
 */
import { Annotations, App, type AppProps, Validations } from 'aws-cdk-lib';
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
  let dropped: string[] = [];
  const { bindingName, instanceSelector, keepConfigBindings, ...edgeProps } = settings.edge;
  if (settings.deployEdge) {
    edge = new EdgeStack(app, EDGE_STACK_NAME, {
      env,
      description: 'alb-warden: the ALB topology the controller guards (VPC, ALB, listeners, target group)',
      ...edgeProps,
    });
    // cdk.json's sample binding names a load balancer that exists only in the example.
    if (!keepConfigBindings) {
      dropped = bindings.map((binding) => binding.name);
      bindings = [];
    }
  }

  const warden = new WardenStack(app, WARDEN_STACK_NAME, {
    env,
    description: 'alb-warden: self-healing controller for an Application Load Balancer in front of EC2',
    config: { ...settings.config, bindings },
    configSource: 'context "config"',
    bundleDir: distDir,
    alertEmails: settings.alertEmails,
    createTrail: settings.createTrail,
    activeTracing: settings.activeTracing,
    guardTag: settings.guardTag,
    edge: edge ? { topology: edge.topology, bindingName, instanceSelector } : undefined,
    sweepSchedule: events.Schedule.expression(settings.sweepSchedule),
  });
  if (dropped.length > 0) {
    Annotations.of(warden).addWarningV2(
      'alb-warden:edge-replaces-bindings',
      `deployEdge: the Edge load balancer replaces the binding(s) ${dropped.join(', ')} of context "config"; ` +
        'set edge.keepConfigBindings to true to guard them too',
    );
  }

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return edge ? { app, settings, warden, edge } : { app, settings, warden };
}
