import { Agent } from "./agent.js";
import { ConfigError, loadConfig } from "./config.js";

// np-agent entry point: node np-agent.mjs /etc/np-agent/config.json
const file = process.argv[2] ?? "/etc/np-agent/config.json";
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(file);
} catch (err) {
  process.stderr.write(`np-agent: ${(err as Error).message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}

const agent = new Agent(config);

// Never crash on a defect: it is reported (and logged) and the next interval runs as usual.
process.on("unhandledRejection", (reason) => {
  agent.problems.set(
    "internal",
    "warning",
    `unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`,
  );
});
process.on("uncaughtException", (err) => {
  agent.problems.set("internal", "warning", `uncaught exception: ${err.stack ?? err.message}`);
});

let stopping = false;
for (const sig of ["SIGTERM", "SIGINT"] as const)
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });

agent.start().then(
  () =>
    process.stderr.write(`np-agent: ${config.node} listening on ${config.listen.address}:${agent.port()}\n`),
  (err: Error) => {
    process.stderr.write(`np-agent: cannot start: ${err.message}\n`);
    process.exit(1);
  },
);
