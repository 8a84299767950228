import { type HostRun, type RunContext, withRole } from "../cluster/context.js";
import { OperationError } from "../errors.js";

/** Runs `fn` through the first server that answers (its API through that server's tunnel); the last error else. */
export async function onFirstServer<T>(ctx: RunContext, fn: (host: HostRun) => Promise<T>): Promise<T> {
  let last: unknown = new OperationError("the inventory has no server");
  for (const h of withRole(ctx, "server")) {
    try {
      return await fn(h);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
