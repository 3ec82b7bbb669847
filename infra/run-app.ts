/**
 * What `cdk` runs around the repository's app (infra/app.ts): the context checked first (a bad value fails
 * in a second, before any build), the Lambda bundles built when dist/ is older than their sources
 * (esbuild.config.mjs, the one source of bundling; WARDEN_SKIP_BUILD=1 reuses dist/ as it is), then the
 * synthesis. Whatever stops the app (a bad context value, a configuration, a setting that cannot deploy) ends
 * the run with its message, one line per problem, and exit 1; ALB_WARDEN_VERBOSE=1 adds the stack trace.
 */
import { App } from 'aws-cdk-lib';
import { type AppSettings, ContextError, readSettings } from './context.ts';

/** esbuild.config.mjs is plain JavaScript without declarations; this is the part of it the app uses. */
interface Bundler {
  build(options?: { quiet?: boolean }): Promise<unknown>;
  upToDate(): boolean;
}

function fail(messages: readonly string[], error?: unknown): never {
  for (const message of messages) process.stderr.write(`alb-warden: ${message}\n`);
  if (error instanceof Error && process.env.ALB_WARDEN_VERBOSE === '1')
    process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}

/**
 * An existing VPC is looked up with the CLI's credentials; without any (the CLI then sets no
 * CDK_DEFAULT_ACCOUNT) and nothing cached, stop before the CLI tries, fails, and writes cdk.context.json.
 */
function checkVpcLookup(settings: AppSettings, context: Record<string, unknown>): void {
  const vpcId = settings.deployEdge ? settings.edge.vpcId : undefined;
  if (!vpcId || process.env.CDK_DEFAULT_ACCOUNT) return;
  const cached = Object.keys(context).some(
    (key) => key.startsWith('vpc-provider:') && key.includes(`:filter.vpc-id=${vpcId}:`),
  );
  if (cached) return;
  throw new ContextError(
    'edge.vpcId',
    `${vpcId} must be looked up in your AWS account once (then it is cached in cdk.context.json), and no AWS ` +
      'credentials were found: configure them (AWS_PROFILE, `aws configure` or `aws sso login`) and run again, ' +
      'or leave vpcId out for a new VPC',
  );
}

/** Error annotations (a lookup that failed, for one) as `path: message`. */
function errorAnnotations(app: App): string[] {
  return app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === 'aws:cdk:error')
        .map((entry) => `${construct.node.path}: ${String(entry.data)}`),
    );
}

export async function runApp(create: () => App): Promise<void> {
  try {
    const probe = new App({ autoSynth: false });
    checkVpcLookup(
      readSettings((key) => probe.node.tryGetContext(key)),
      probe.node.getAllContext(),
    );
    if (process.env.WARDEN_SKIP_BUILD !== '1') {
      const bundler: Bundler = await import(new URL('../esbuild.config.mjs', import.meta.url).href);
      if (!bundler.upToDate()) await bundler.build({ quiet: true });
    }
    const app = create();
    // A failed lookup leaves placeholders (vpc-12345) that would only add confusing template errors to its own.
    const errors = errorAnnotations(app);
    if (errors.length > 0) fail(errors);
    app.synth();
  } catch (error) {
    fail([error instanceof Error ? error.message : String(error)], error);
  }
}
