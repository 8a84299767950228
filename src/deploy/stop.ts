import type { ConsulApi } from "../api/consul.js";
import type { NomadApi } from "../api/nomad.js";
import type { AllocationListStub } from "../app/nomad-responses.js";
import { OperationError } from "../errors.js";
import { counted } from "../output/counted.js";
import type { Output } from "../output/port.js";
import { readAppJob } from "./app-job.js";
import { ChangeNotifier, watchBlocking } from "./watch.js";

/** An allocation that will not run again. */
const TERMINAL = new Set(["complete", "failed", "lost"]);
const isStopped = (a: AllocationListStub) => TERMINAL.has(a.ClientStatus);

/** How long `np stop` waits for the instances to stop and leave Consul (Nomad's kill timeouts bound it). */
const STOP_DEADLINE_MS = 5 * 60_000;

/**
 * `np stop APP [--purge]`: stops the job (with purge, Nomad forgets it and its versions), then waits — blocking
 * queries on the job's allocations and on the app's Consul service — until every instance stopped and the
 * service left Consul, so nothing of the app runs or is routed when it returns.
 */
export async function stopApp(
  target: { nomad: NomadApi; consul: ConsulApi },
  app: string,
  purge: boolean,
  ctx: { out: Output; signal: AbortSignal },
): Promise<{ app: string; stopped: number; purged: boolean }> {
  const { nomad, consul } = target;
  const job = await readAppJob(nomad, app);
  const before = (await nomad.jobAllocations(app)).body.filter((a) => !isStopped(a)).length;
  await nomad.deregister(app, purge);
  ctx.out.info(
    `${app}: ${purge ? "stopped and purged" : "stopped"} version ${job.Version} in Nomad; waiting for ${counted(before, "instance")} to stop`,
  );
  const live = ctx.out.liveLines(`${app}: stopping`);
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), STOP_DEADLINE_MS);
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let allocs: AllocationListStub[] | undefined;
  let services: number | undefined;
  const changed = new ChangeNotifier();
  const watches = Promise.all([
    watchBlocking(
      (index, s) => nomad.jobAllocations(app, { index, signal: s }),
      (v) => {
        allocs = v;
        changed.notify();
      },
      signal,
    ),
    watchBlocking(
      (index, s) => consul.serviceHealthIndexed(app, { index, signal: s }),
      (v) => {
        services = v.length;
        changed.notify();
      },
      signal,
    ),
  ]).catch((err: unknown) => {
    if (!signal.aborted) throw err;
  });
  let ok = false;
  let title = `${app}: stopping`;
  try {
    for (;;) {
      await Promise.race([changed.next(), watches]);
      if (signal.aborted) break;
      if (!allocs || services === undefined) continue;
      const running = allocs.filter((a) => !isStopped(a));
      title = `${app}: ${counted(running.length, "instance")} still running, ${services} in Consul`;
      live.update(
        title,
        running.map((a) => `${a.ID.slice(0, 8)} on ${a.NodeName}: ${a.ClientStatus}`),
      );
      if (running.length === 0 && services === 0) {
        ok = true;
        title = `${app}: stopped: no instance runs, the service left Consul`;
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    stop.abort();
    await live.end(ok, title, []);
  }
  if (!ok) {
    if (ctx.signal.aborted) throw new OperationError(`${app}: interrupted while waiting for it to stop`);
    throw new OperationError(
      `${title} after ${STOP_DEADLINE_MS / 60_000} minutes`,
      `see \`np status ${app}\``,
    );
  }
  return { app, stopped: before, purged: purge };
}
