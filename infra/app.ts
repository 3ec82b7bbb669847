/**
 * The repository's CDK app (`cdk.json` runs it), written as an app that installed the package writes it: the
 * constructs come from `alb-warden/cdk`. Here that name resolves to the sources (infra/index.ts) through the
 * package's own `alb-warden:source` export condition, which cdk.json passes to node
 * (`--conditions=alb-warden:source`), vitest.config.ts to the tests and tsconfig.json to the type check; an
 * installed package has no such condition set and gets the built dist/cdk. So the quick deploy path needs no
 * build of the constructs, and this app uses nothing of them that a user's app cannot.
 *
 * Settings come from the CDK context (infra/context.ts); infra/run-app.ts builds the Lambda bundles when they
 * are stale and turns whatever stops the app into one line per problem.
 */
import { AlbWarden, AlbWardenEdge } from 'alb-warden/cdk';
import { Annotations, App, type AppProps, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type AppSettings, readSettings, wardenBindings } from './context.ts';
import { runApp } from './run-app.ts';
import { ZonedStack } from './zoned-stack.ts';

export const WARDEN_STACK_NAME = 'AlbWarden';
export const EDGE_STACK_NAME = 'AlbWardenEdge';

export interface CreateAppOptions extends AppProps {
  /** Where the Lambda bundles are. @default the repository's dist/ */
  readonly distDir?: string;
}

export interface WardenApp {
  readonly app: App;
  readonly settings: AppSettings;
  readonly warden: AlbWarden;
  readonly edge?: AlbWardenEdge;
}

/** The Warden stack always, the Edge stack with `deployEdge`, and cdk-nag over both (a finding fails synth). */
export function createApp(options: CreateAppOptions = {}): WardenApp {
  const { distDir, ...appProps } = options;
  const app = new App(appProps);
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const env = { account: settings.account, region: settings.region };
  const { bindingName, instanceSelector, keepConfigBindings, ...edgeProps } = settings.edge;

  // Each construct's id `Default` keeps the logical ids of stacks deployed before the constructs existed.
  const edge = settings.deployEdge
    ? new AlbWardenEdge(
        new ZonedStack(app, EDGE_STACK_NAME, {
          env,
          availabilityZones: edgeProps.availabilityZones,
          description:
            'alb-warden: the ALB topology the controller guards (VPC, ALB, listeners, target group)',
        }),
        'Default',
        edgeProps,
      )
    : undefined;
  const { bindings, dropped } = wardenBindings(settings);
  const stack = new Stack(app, WARDEN_STACK_NAME, {
    env,
    description: 'alb-warden: self-healing controller for an Application Load Balancer in front of EC2',
  });
  const warden = new AlbWarden(stack, 'Default', {
    config: { ...settings.config, bindings },
    configSource: 'context "config"',
    bundleDir: distDir,
    alertEmails: settings.alertEmails,
    createTrail: settings.createTrail,
    activeTracing: settings.activeTracing,
    guardTag: settings.guardTag,
    edge: edge ? { topology: edge, bindingName, instanceSelector } : undefined,
    sweepSchedule: events.Schedule.expression(settings.sweepSchedule),
  });
  if (dropped.length > 0) {
    Annotations.of(stack).addWarningV2(
      'alb-warden:edge-replaces-bindings',
      `deployEdge: the Edge load balancer replaces the binding(s) ${dropped.join(', ')} of context "config"; ` +
        'set edge.keepConfigBindings to true to guard them too',
    );
  }

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return edge ? { app, settings, warden, edge } : { app, settings, warden };
}

if (import.meta.main) await runApp(() => createApp().app);
