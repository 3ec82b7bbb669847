/**
 * The AWS calls the controller makes, read from its code: every SDK v3 command sent (a `new …Command`) or
 * paginated (a `paginate…` call) in functions/adapters, mapped to its IAM action through the client it is imported
 * from. The IAM tests prove the deployed policy against this list and `alb-warden doctor` asks IAM about the
 * deployed role with it, so it is never kept by hand. The built CLI carries the list (controller-permissions.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ADAPTERS_DIR = join(ROOT, 'functions', 'adapters');
/** The doctor's own reads, made with the operator's credentials and never bundled into a function. */
export const OPERATOR_ADAPTERS_DIR = join(ROOT, 'functions', 'cli', 'doctor', 'adapters');

/** SDK client package → IAM service prefix. */
export const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-auto-scaling': 'autoscaling',
  '@aws-sdk/client-resource-groups-tagging-api': 'tag',
  '@aws-sdk/client-cloudtrail': 'cloudtrail',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-sts': 'sts',
};

/**
 * Batch operations IAM authorizes as their single form ("Amazon SQS API permissions: Actions and resource
 * reference": SendMessageBatch needs sqs:SendMessage,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
 */
const IAM_ACTION_OF: Readonly<Record<string, string>> = { 'sqs:SendMessageBatch': 'sqs:SendMessage' };

/**
 * Adapters only a hub with members calls (AssumeRole into a member role): the `AlbWardenHub` construct grants
 * them, a single-account deployment neither needs nor holds them, so they are listed apart.
 */
export const MEMBER_ONLY_ADAPTERS: readonly string[] = ['sts.ts'];

export interface AwsCall {
  /** `service:Operation`, the IAM action the call needs. */
  readonly action: string;
  readonly client: string;
  readonly file: string;
}

const IMPORT = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/[a-z0-9-]+)['"]/g;
const SENT = /new\s+([A-Z]\w*)Command\s*\(/g;
const PAGINATED = /\bpaginate([A-Z]\w*)\s*\(/g;

/** Every AWS call in the adapters, one entry per distinct action (first file that makes it). */
export function awsCallsInAdapters(dir = ADAPTERS_DIR): AwsCall[] {
  return callsIn(typeScriptFiles(dir).filter((file) => !MEMBER_ONLY_ADAPTERS.includes(basename(file))));
}

/** The calls only a hub with members makes (MEMBER_ONLY_ADAPTERS). */
export function memberOnlyCallsInAdapters(dir = ADAPTERS_DIR): AwsCall[] {
  return callsIn(typeScriptFiles(dir).filter((file) => MEMBER_ONLY_ADAPTERS.includes(basename(file))));
}

function callsIn(files: readonly string[]): AwsCall[] {
  const calls = new Map<string, AwsCall>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const importedFrom = new Map<string, string>();
    for (const [, names = '', module = ''] of text.matchAll(IMPORT)) {
      for (const name of names.split(',')) importedFrom.set(name.replace(/^\s*type\s+/, '').trim(), module);
    }
    const operations = [
      ...[...text.matchAll(SENT)].map(([, op = '']) => ({ op, symbol: `${op}Command` })),
      ...[...text.matchAll(PAGINATED)].map(([, op = '']) => ({ op, symbol: `paginate${op}` })),
    ];
    for (const { op, symbol } of operations) {
      const client = importedFrom.get(symbol);
      const where = relative(ROOT, file);
      if (!client) throw new Error(`${where}: ${symbol} is not imported from an @aws-sdk client`);
      const prefix = SERVICE_PREFIX[client];
      if (!prefix) {
        throw new Error(
          `${where}: calls ${client}; add its IAM service prefix to SERVICE_PREFIX in ${relative(ROOT, fileURLToPath(import.meta.url))}`,
        );
      }
      const action = IAM_ACTION_OF[`${prefix}:${op}`] ?? `${prefix}:${op}`;
      if (!calls.has(action)) calls.set(action, { action, client, file: where });
    }
  }
  return [...calls.values()].sort((a, b) => a.action.localeCompare(b.action));
}

/** SDK commands sent anywhere in functions/ outside the controller's and the doctor's adapters (there should be none). */
export function commandsOutsideAdapters(): string[] {
  const found: string[] = [];
  for (const file of typeScriptFiles(join(ROOT, 'functions'))) {
    if (file.startsWith(ADAPTERS_DIR) || file.startsWith(OPERATOR_ADAPTERS_DIR)) continue;
    const text = readFileSync(file, 'utf8');
    for (const [match] of [...text.matchAll(SENT), ...text.matchAll(PAGINATED)]) {
      found.push(`${relative(ROOT, file)}: ${match}`);
    }
  }
  return found;
}

function typeScriptFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return typeScriptFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}
