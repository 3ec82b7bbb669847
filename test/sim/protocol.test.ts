import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { useSim } from './support.ts';

const sim = useSim();

function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261120/ap-northeast-2/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

async function post(
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(sim.endpoint, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

describe('request dispatch and protocol errors', () => {
  it("answers an unknown EC2 action in EC2's error format", async () => {
    const reply = await post(
      { authorization: authorization('ec2') },
      'Action=DescribeImages&Version=2016-11-15',
    );

    expect(reply.status).toBe(400);
    expect(reply.text).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?><Response><Errors><Error><Code>InvalidAction<\/Code><Message>The action DescribeImages is not valid for this web service\.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });

  it('answers an unknown ELBv2 action in the awsQuery error format', async () => {
    const reply = await post(
      { authorization: authorization('elasticloadbalancing') },
      'Action=DescribeAccountLimits&Version=2015-12-01',
    );

    expect(reply.status).toBe(400);
    expect(reply.text).toContain('<Error><Type>Sender</Type><Code>InvalidAction</Code>');
    expect(reply.text).toContain('<RequestId>');
  });

  it('answers malformed DynamoDB JSON with SerializationException', async () => {
    const reply = await post(
      {
        authorization: authorization('dynamodb'),
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        'content-type': 'application/x-amz-json-1.0',
      },
      '{"TableName":',
    );

    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({
      __type: 'com.amazonaws.dynamodb.v20120810#SerializationException',
    });
  });

  it('refuses an unsigned request', async () => {
    const reply = await post({}, 'Action=DescribeInstances&Version=2016-11-15');

    expect(reply.status).toBe(403);
    expect(reply.text).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});

describe('standard SDK endpoint settings', () => {
  it('serves clients configured only through AWS_ENDPOINT_URL, and names operations it does not simulate', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = sim.endpoint;
    const credentials = { accessKeyId: 'AKIAENVCONFIGURED01', secretAccessKey: 'x' };
    const ec2 = new EC2Client({ region: 'ap-northeast-2', credentials });
    const dynamodb = new DynamoDBClient({ region: 'ap-northeast-2', credentials });
    try {
      const instances = await ec2.send(new DescribeInstancesCommand({}));
      const unknown = await dynamodb.send(new ListTablesCommand({})).catch((error: Error) => error.name);

      expect(instances.Reservations).toEqual([]);
      expect(unknown).toBe('UnknownOperationException');
    } finally {
      ec2.destroy();
      dynamodb.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });
});
