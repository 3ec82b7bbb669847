/**
 * A stateful, in-memory AWS (EC2, ELBv2, SNS, DynamoDB) on loopback HTTP for the unmodified AWS SDK v3
 * clients: point them at `endpoint` (or set AWS_ENDPOINT_URL to it).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpHandler } from '@smithy/core/protocols';
import { Worlds } from './accounts.ts';
import { SimControl } from './control.ts';
import { inProcessControl, inProcessRequestHandler } from './in-process.ts';
import { simulatorListener } from './server.ts';
import { DEFAULT_SETTINGS, type Delays, mergeSettings, type Quotas } from './settings.ts';

export { SimControl } from './control.ts';
export type { Delays, Quotas } from './settings.ts';

export interface SimulatorOptions {
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default '123456789012' */
  readonly account?: string;
  /** @default 'ap-northeast-2' (the region of the recorded fixtures) */
  readonly region?: string;
  /** The AWS Organizations organization the account belongs to (`o-…`). @default - none */
  readonly organizationId?: string;
  readonly delays?: Partial<Delays>;
  readonly quota?: Partial<Quotas>;
}

export interface Simulator {
  /** `http://127.0.0.1:<port>`, for the SDK clients' `endpoint` and for SimControl. */
  readonly endpoint: string;
  readonly account: string;
  readonly region: string;
  readonly control: SimControl;
  /**
   * The same simulator without sockets, for clients in this process (sim/in-process.ts): an SDK client's
   * `requestHandler`, and the control API.
   */
  readonly inProcess: { readonly requestHandler: HttpHandler; readonly control: SimControl };
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'ap-northeast-2';
  const settings = mergeSettings(DEFAULT_SETTINGS, {
    delays: options.delays ?? {},
    quota: options.quota ?? {},
  });
  const listener = simulatorListener(new Worlds(account, region, settings, options.organizationId));
  const server = createServer(listener);
  const serving = { stopped: false };
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${port}`;
  return {
    endpoint,
    account,
    region,
    control: new SimControl(endpoint),
    inProcess: {
      requestHandler: inProcessRequestHandler(listener, serving),
      control: new SimControl(endpoint, {}, inProcessControl(listener, serving)),
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        serving.stopped = true;
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; close them so the server can stop now.
        server.closeAllConnections();
      }),
  };
}
