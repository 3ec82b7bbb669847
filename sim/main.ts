/**
 * The simulator as its own process: `npm run sim -- --port 4590`. Prints the endpoint to point SDK clients
 * (or AWS_ENDPOINT_URL) at, and stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startSimulator } from './index.ts';

const USAGE = 'usage: node sim/main.ts [--port N] [--host HOST] [--account ID] [--region REGION]';

async function main(): Promise<void> {
  let values: { port?: string; host?: string; account?: string; region?: string };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        account: { type: 'string' },
        region: { type: 'string' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const port = Number(values.port ?? '4590');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer between 0 and 65535, got ${values.port}\n${USAGE}`);
    process.exit(2);
  }
  const simulator = await startSimulator({
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.account === undefined ? {} : { account: values.account }),
    ...(values.region === undefined ? {} : { region: values.region }),
  });
  console.log(
    `AWS simulator listening on ${simulator.endpoint} (account ${simulator.account}, region ${simulator.region})`,
  );
  console.log(`export AWS_ENDPOINT_URL=${simulator.endpoint}`);
  const shutdown = (signal: string) => {
    console.log(`${signal}: stopping the simulator`);
    simulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

await main();
