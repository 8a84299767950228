import type { Agent, Dispatcher, request as undiciRequest } from "undici";

/**
 * undici, loaded on first use: np's cluster APIs, probes and edges need only its Agent and `request`, which load
 * from undici's own files (lib/dispatcher/agent.js, lib/api/api-request.js: a quarter of the package), not its
 * index: that is also fetch, WebSocket, caches and mocks, ~40 ms of every `np up` to evaluate. Downloads, which
 * need its proxy agent and redirect interceptor, load the whole package (undiciFull). The deep paths are undici's
 * (the package has no exports map); test/unit/api-undici.test.ts proves them on the installed version.
 */
export interface UndiciCore {
  Agent: typeof Agent;
  request: typeof undiciRequest;
}
export type Undici = typeof import("undici");

let core: Promise<UndiciCore> | undefined;
let full: Promise<Undici> | undefined;

/** Bundled, a CommonJS module imported dynamically is its `default` (esbuild); unbundled, Node's too. */
const cjs = <T>(m: { default?: T } | T): T => ((m as { default?: T }).default ?? m) as T;

export function undici(): Promise<UndiciCore> {
  core ??= Promise.all([
    import("undici/lib/dispatcher/agent.js"),
    import("undici/lib/api/api-request.js"),
  ]).then(([agent, api]) => {
    const dispatch = cjs(api);
    // undici's top-level request() (index.js makeDispatcher) for a caller that always names its dispatcher.
    const request = ((url: string | URL, opts: { dispatcher?: Dispatcher; method?: string } = {}) => {
      const { dispatcher, ...rest } = opts;
      if (!dispatcher) throw new Error("np's HTTP requests name their dispatcher");
      const u = typeof url === "string" ? new URL(url) : url;
      return dispatch.call(dispatcher, {
        ...rest,
        origin: u.origin,
        path: u.search ? `${u.pathname}${u.search}` : u.pathname,
        method: (opts.method ?? "GET") as Dispatcher.HttpMethod,
      });
    }) as typeof undiciRequest;
    return { Agent: cjs(agent), request };
  });
  return core;
}

/** The whole of undici (downloads: EnvHttpProxyAgent, interceptors). */
export function undiciFull(): Promise<Undici> {
  full ??= import("undici").then((m) => cjs<Undici>(m));
  return full;
}

/** A dispatcher, or one being made (undici still loading). */
export type DispatcherRef = Dispatcher | Promise<Dispatcher>;
