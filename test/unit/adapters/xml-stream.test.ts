import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2Instances } from '../../../functions/adapters/ec2.ts';
import { InstancePageReader } from '../../../functions/adapters/ec2-stream.ts';
import { TargetHealthReader } from '../../../functions/adapters/elbv2-stream.ts';
import { XmlStreamError } from '../../../functions/adapters/xml-stream.ts';
import { launchInstances } from '../../../sim/seed.ts';
import { network, type SimWorld, startSim } from '../../sim/support.ts';

// The shape of EC2's DescribeInstances answer (API reference, response elements), trimmed: a network
// interface and a security group carry their own vpcId, tagSet-like items and names that must not leak into
// the instance's fields.
const PAGE = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
    <reservationSet>
        <item>
            <reservationId>r-1234567890abcdef0</reservationId>
            <groupSet/>
            <instancesSet>
                <item>
                    <instanceId>i-1234567890abcdef0</instanceId>
                    <imageId>ami-bff32ccc</imageId>
                    <instanceState><code>16</code><name>running</name></instanceState>
                    <launchTime>2026-11-29T10:14:05.000Z</launchTime>
                    <placement><availabilityZone>ap-northeast-2a</availabilityZone><tenancy>default</tenancy></placement>
                    <vpcId>vpc-1a2b3c4d</vpcId>
                    <groupSet><item><groupId>sg-1</groupId><groupName>web &amp; api</groupName></item></groupSet>
                    <networkInterfaceSet>
                        <item>
                            <vpcId>vpc-other</vpcId>
                            <tagSet><item><key>Role</key><value>eni</value></item></tagSet>
                        </item>
                    </networkInterfaceSet>
                    <tagSet>
                        <item><key>Role</key><value>web</value></item>
                        <item><key>Team</key><value>R&amp;D &lt;core&gt; &#233;&#x2713;</value></item>
                        <item><key>Empty</key><value/></item>
                        <item><key>aws:autoscaling:groupName</key><value>web-asg</value></item>
                    </tagSet>
                </item>
                <item>
                    <instanceId>i-0598c7d356eba48d7</instanceId>
                    <instanceState><code>80</code><name>stopped</name></instanceState>
                    <launchTime>2026-11-29T11:00:00Z</launchTime>
                    <placement><availabilityZone>ap-northeast-2c</availabilityZone></placement>
                    <vpcId>vpc-1a2b3c4d</vpcId>
                </item>
            </instancesSet>
        </item>
    </reservationSet>
    <nextToken>eyJ2IjoiMiJ9&amp;more</nextToken>
</DescribeInstancesResponse>`;

const EXPECTED = {
  instances: [
    {
      id: 'i-1234567890abcdef0',
      state: 'running',
      vpcId: 'vpc-1a2b3c4d',
      availabilityZone: 'ap-northeast-2a',
      launchTime: '2026-11-29T10:14:05.000Z',
      tags: { Role: 'web', Team: 'R&D <core> é✓', Empty: '', 'aws:autoscaling:groupName': 'web-asg' },
    },
    {
      id: 'i-0598c7d356eba48d7',
      state: 'stopped',
      vpcId: 'vpc-1a2b3c4d',
      availabilityZone: 'ap-northeast-2c',
      launchTime: '2026-11-29T11:00:00.000Z',
      tags: {},
    },
  ],
  nextToken: 'eyJ2IjoiMiJ9&more',
};

function read(chunks: readonly string[]) {
  const reader = new InstancePageReader();
  for (const chunk of chunks) reader.write(chunk);
  return reader.end();
}

describe('InstancePageReader', () => {
  it('keeps the instance fields the controller uses, decoding entities, and the next token', () => {
    expect(read([PAGE])).toEqual(EXPECTED);
  });

  it('reads the same page however the body is cut into chunks', () => {
    for (let cut = 1; cut < PAGE.length; cut += 7) {
      expect(read([PAGE.slice(0, cut), PAGE.slice(cut)])).toEqual(EXPECTED);
    }
    expect(read([...PAGE])).toEqual(EXPECTED);
  });

  it('refuses a body that ends early or closes the wrong element, saying where', () => {
    expect(() => read([PAGE.slice(0, PAGE.indexOf('</instancesSet>'))])).toThrow(XmlStreamError);
    expect(() => read(['<DescribeInstancesResponse><reservationSet></item>'])).toThrow(
      'the response closes </item> inside <DescribeInstancesResponse><reservationSet>',
    );
  });
});

// ELBv2's DescribeTargetHealth answer (API reference, example response), with a reason and a description.
const HEALTH = `<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetHealthResult>
    <TargetHealthDescriptions>
      <member>
        <HealthCheckPort>80</HealthCheckPort>
        <TargetHealth><State>healthy</State></TargetHealth>
        <Target><Port>80</Port><Id>i-0376fadf</Id></Target>
      </member>
      <member>
        <HealthCheckPort>8080</HealthCheckPort>
        <TargetHealth>
          <State>unhealthy</State>
          <Reason>Target.ResponseCodeMismatch</Reason>
          <Description>Health checks failed with these codes: [500] &amp; more</Description>
        </TargetHealth>
        <AdministrativeOverride><State>no_override</State><Reason>AdministrativeOverride.NoOverride</Reason></AdministrativeOverride>
        <Target><Port>8080</Port><Id>i-0123456789abcdef0</Id><AvailabilityZone>ap-northeast-2a</AvailabilityZone></Target>
      </member>
    </TargetHealthDescriptions>
  </DescribeTargetHealthResult>
  <ResponseMetadata><RequestId>c534f810-f389-11e5-9192-3fff33344cfa</RequestId></ResponseMetadata>
</DescribeTargetHealthResponse>`;

describe('TargetHealthReader', () => {
  it('keeps id, port, state, reason and description of every target, whatever the chunks', () => {
    const expected = [
      { id: 'i-0376fadf', port: 80, state: 'healthy', reasonCode: undefined, description: undefined },
      {
        id: 'i-0123456789abcdef0',
        port: 8080,
        state: 'unhealthy',
        reasonCode: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [500] & more',
      },
    ];
    for (let cut = 1; cut < HEALTH.length; cut += 11) {
      const reader = new TargetHealthReader();
      reader.write(HEALTH.slice(0, cut));
      reader.write(HEALTH.slice(cut));
      expect(reader.end()).toEqual(expected);
    }
  });
});

describe('Ec2Instances on the wire', () => {
  let sim: SimWorld;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it('streams pages into the same instances the SDK parses, following the next token', async () => {
    const { subnetIds } = await network(sim.clients);
    await launchInstances(sim.clients, {
      count: 5,
      subnetId: subnetIds[0],
      tags: { Role: 'web', Note: 'a&b <c>' },
    });
    await launchInstances(sim.clients, { count: 2, subnetId: subnetIds[1], tags: { Role: 'api' } });
    const sdk = await sim.clients.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Role', Values: ['web'] }] }),
    );
    const parsed = (sdk.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);

    const found = await new Ec2Instances(sim.clients.ec2 as EC2Client).findByTags({ Role: 'web' });

    expect(found.map((instance) => instance.id).sort()).toEqual(
      parsed.map((instance) => instance.InstanceId).sort(),
    );
    expect(found).toHaveLength(5);
    for (const instance of found) {
      const twin = parsed.find((candidate) => candidate.InstanceId === instance.id);
      expect(instance).toEqual({
        id: twin?.InstanceId,
        state: twin?.State?.Name,
        vpcId: twin?.VpcId,
        availabilityZone: twin?.Placement?.AvailabilityZone,
        launchTime: twin?.LaunchTime?.toISOString(),
        tags: { Role: 'web', Note: 'a&b <c>' },
      });
    }
  });
});
