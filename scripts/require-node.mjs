// Loaded first (`node --import ./scripts/require-node.mjs …`) by every npm script that starts TypeScript, so an
// older Node stops here with one line instead of ERR_UNKNOWN_FILE_EXTENSION or a crash minutes later. Plain
// JavaScript on purpose: it must run on the Node it rejects.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const needed = Number(/\d+/.exec(pkg.engines.node)[0]);
const running = Number(process.versions.node.split('.')[0]);
if (running < needed) {
  process.stderr.write(
    `alb-warden needs Node.js ${needed} or newer, this is ${process.version}: run \`npm ci\` (without ` +
      `--ignore-scripts: it installs Node ${needed} into node_modules/.bin, which npm scripts use), or install Node ` +
      `${needed} from https://nodejs.org\n`,
  );
  process.exit(1);
}
