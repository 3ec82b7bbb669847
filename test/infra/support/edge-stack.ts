/**
 * A stack holding one `AlbWardenEdge` under the id `Default`, as the repository's app (infra/app.ts) adds it, with its
 * parts as the stack's own properties: for the tests that build a variant directly.
 */
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AlbWardenEdge, type AlbWardenEdgeProps } from '../../../infra/index.ts';
import { ZonedStack } from '../../../infra/zoned-stack.ts';

export interface EdgeStackProps extends StackProps, AlbWardenEdgeProps {}

export class EdgeStack extends ZonedStack {
  readonly topology: AlbWardenEdge;

  constructor(scope: Construct, id: string, props: EdgeStackProps = {}) {
    super(scope, id, props);
    this.topology = new AlbWardenEdge(this, 'Default', props);
  }

  get vpc(): AlbWardenEdge['vpc'] {
    return this.topology.vpc;
  }
  get loadBalancer(): AlbWardenEdge['loadBalancer'] {
    return this.topology.loadBalancer;
  }
  get targetGroup(): AlbWardenEdge['targetGroup'] {
    return this.topology.targetGroup;
  }
  get httpsListener(): AlbWardenEdge['httpsListener'] {
    return this.topology.httpsListener;
  }
  get httpListener(): AlbWardenEdge['httpListener'] {
    return this.topology.httpListener;
  }
  get albSecurityGroup(): AlbWardenEdge['albSecurityGroup'] {
    return this.topology.albSecurityGroup;
  }
  get instanceSecurityGroup(): AlbWardenEdge['instanceSecurityGroup'] {
    return this.topology.instanceSecurityGroup;
  }
  get certificateArn(): AlbWardenEdge['certificateArn'] {
    return this.topology.certificateArn;
  }
  get sslPolicy(): AlbWardenEdge['sslPolicy'] {
    return this.topology.sslPolicy;
  }
  get healthCheck(): AlbWardenEdge['healthCheck'] {
    return this.topology.healthCheck;
  }
  get parameterNames(): AlbWardenEdge['parameterNames'] {
    return this.topology.parameterNames;
  }
}
