'use strict';
// `npm run stack [-- --api-only]`: starts the whole system and prints `ready <url>`;
// Ctrl-C or SIGTERM stops everything.
const fs = require('node:fs');
const path = require('node:path');
const { startStack, passThroughEnv } = require('./index');
const { ROOT } = require('./build');

async function main() {
  const apiOnly = process.argv.includes('--api-only');
  // --images: the services and the web app run from their podman images (npm run images).
  const images = process.argv.includes('--images') || process.env.STACK_IMAGES === '1';
  const gatewayPort = Number(process.env.GATEWAY_PORT ?? 8080);
  // Settings for the services come from the environment and are passed through.
  const env = passThroughEnv();

  let stack;
  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`stack: ${signal}, stopping`);
    // While still starting there is no stack to stop: exiting ends every child started so
    // far (each is tied to this process).
    if (stack) await stack.stop();
    fs.rmSync(path.join(ROOT, '.run', 'stack.json'), { force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
  // `npm run stack` does not pass a SIGTERM sent to npm on to us: when our parent is gone
  // (we were re-parented), stop too, so no server or service outlives the command.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('parent exited');
  }, 500).unref();

  try {
    stack = await startStack({ apiOnly, images, gatewayPort, env });
  } catch (err) {
    console.error(`stack: failed: ${err.message}`);
    process.exit(1);
  }
  if (stopping) return;
  console.log(`stack: up in ${stack.seconds.toFixed(1)}s; logs in ${stack.logDir}`);
  // For the operator tools (npm run dead-letters): where the bus is, and the ops user.
  const stackFile = path.join(ROOT, '.run', 'stack.json');
  fs.writeFileSync(
    stackFile,
    JSON.stringify({ url: stack.url, natsUrl: `nats://127.0.0.1:${stack.ports.nats}`, clusterId: 'ticketing', ops: stack.natsUsers.stan }, null, 2),
    { mode: 0o600 },
  );
  console.log(`ready ${stack.url}`);

  // A piece that dies later is reported; the rest keeps running.
  for (const h of stack.handles) {
    h.exited.then((code) => {
      if (!stopping) console.error(`stack: ${h.name} exited (${code}); see ${h.logFile}`);
    });
  }
}

main();
