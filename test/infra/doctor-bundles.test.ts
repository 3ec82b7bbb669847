/**
 * The doctor is the operator's tool: the Lambda bundles never include it, its SDK clients or the IAM
 * reference data, so adding it leaves the functions' size and cold start as they were. (CloudTrail's client is
 * the controller's too: the sweep looks up event history with it, in a chunk loaded on first use.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBundles } from './support/bundles.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let dist: string;
beforeAll(async () => {
  dist = await ensureBundles();
});

const DOCTOR_ONLY =
  /functions\/cli\/|client-(eventbridge|cloudwatch|iam|cloudformation|kms)\/|@cloud-copilot/;
const DOCTOR_ONLY_WITH_SQS =
  /functions\/cli\/|client-(eventbridge|cloudwatch|iam|cloudformation|sqs|kms)\/|@cloud-copilot/;

describe.each(['register', 'guard', 'sweep', 'sweep-worker'])('the %s bundle', (name) => {
  it('holds nothing of the doctor', () => {
    const meta = JSON.parse(readFileSync(join(dist, name, 'meta.json'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    const inputs = Object.keys(meta.inputs);

    expect(inputs.length).toBeGreaterThan(0);
    expect(
      inputs.filter((input) =>
        // The sweep's scheduler sends to the sweep queue: SQS is the doctor's only in the other bundles.
        (name === 'sweep' ? DOCTOR_ONLY : DOCTOR_ONLY_WITH_SQS).test(input),
      ),
    ).toEqual([]);
  });
});
