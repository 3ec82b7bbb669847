/**
 * A stack holding one `AlbWarden` under the id `Default`, as the repository's app (infra/app.ts) adds it, with its
 * parts as the stack's own properties: for the tests that build a variant directly.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AlbWarden, type AlbWardenProps } from '../../../infra/index.ts';

export interface WardenStackProps extends StackProps, AlbWardenProps {}

export class WardenStack extends Stack {
  readonly warden: AlbWarden;

  constructor(scope: Construct, id: string, props: WardenStackProps) {
    super(scope, id, props);
    this.warden = new AlbWarden(this, 'Default', props);
  }

  get alerts(): AlbWarden['alerts'] {
    return this.warden.alerts;
  }
  get roles(): AlbWarden['roles'] {
    return this.warden.roles;
  }
  get configuration(): AlbWarden['configuration'] {
    return this.warden.configuration;
  }
  get functions(): AlbWarden['functions'] {
    return this.warden.functions;
  }
  get rules(): AlbWarden['rules'] {
    return this.warden.rules;
  }
  get monitoring(): AlbWarden['monitoring'] {
    return this.warden.monitoring;
  }
  get trail(): AlbWarden['trail'] {
    return this.warden.trail;
  }
}
