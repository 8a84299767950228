import { APP_SCRIPT } from "../contract/deploy-harness.js";

/**
 * np.yaml of the tests' tiny /health app on sandbox nodes: run by the Node.js runtime np installs on every host,
 * routed by the edges for `host`, with short health timings so a rollout takes seconds.
 */
export function sandboxAppYaml(opts: {
  host: string;
  count: number;
  healthyDeadline: string;
  progressDeadline: string;
}): string {
  return `name: hello
command: /usr/local/lib/np/node
args: ["-e", ${JSON.stringify(APP_SCRIPT)}]
count: ${opts.count}
cpu: 50
memory: 64
env:
  VERSION: v1
health_check: { path: /health, interval: 1s, timeout: 1s }
domains: [${opts.host}]
update: { min_healthy_time: 1s, healthy_deadline: ${opts.healthyDeadline}, progress_deadline: ${opts.progressDeadline} }
`;
}
