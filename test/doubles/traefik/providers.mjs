// Traefik TEST DOUBLE: running the providers — the Consul Catalog loop (consul_catalog.go Provide: load, then
// watch or refresh; on error, retry with exponential back-off like job.NewBackOff), the file provider
// (pkg/provider/file/file.go: a directory read recursively, or one file; watched; reloaded on SIGHUP) and the
// per-provider throttle of pkg/provider/aggregator/aggregator.go (a message passes at once, then the provider is
// held for providersThrottleDuration and only its latest message is kept).
import fs from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import {
  buildConfiguration,
  checkDefaultRule,
  consulClient,
  fetchItems,
  PROVIDER_NAME,
} from "./consul-catalog.mjs";
import { DecodeError, DYNAMIC_KEYS, decodeFile } from "./decode.mjs";
import { mergeConfigurations } from "./merge.mjs";

/** maybeThrottledProvide: `deliver` gets the first message at once, later ones at most every `ms`. */
export function throttled(ms, deliver) {
  if (!ms) return deliver;
  let held = false;
  let latest;
  let pending = false;
  const release = () => {
    if (!pending) {
      held = false;
      return;
    }
    pending = false;
    deliver(latest);
    setTimeout(release, ms).unref();
  };
  return (msg) => {
    if (held) {
      latest = msg;
      pending = true;
      return;
    }
    held = true;
    deliver(msg);
    setTimeout(release, ms).unref();
  };
}

/** Runs the Consul Catalog provider until `signal` aborts; calls `onConfig({http})` with each configuration. */
export function runConsulCatalog(cfg, onConfig, log, signal) {
  const plog = (level, msg, fields = {}) => log(level, msg, { providerName: PROVIDER_NAME, ...fields });
  checkDefaultRule(cfg);
  const query = consulClient(cfg.endpoint, cfg);
  const wait = cfg.endpoint.endpointWaitTime
    ? { wait: `${Math.round(cfg.endpoint.endpointWaitTime)}ms` }
    : {};
  let backoff = 500;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms).unref());

  const load = async () =>
    onConfig(buildConfiguration(cfg, await fetchItems(cfg, query, plog, signal), plog));

  /** A watch plan ("services" or "checks"): blocking queries; a new index triggers a reload. */
  const watchPlan = async (p, trigger) => {
    let index = "0";
    while (!signal.aborted) {
      try {
        const res = await query(p, { index, ...wait }, signal);
        const next = res.index ?? "0";
        if (next !== index) trigger();
        // A lower index (agent restart, snapshot restore) starts the plan over, like watch.Plan does.
        index = Number(next) < Number(index) ? "0" : next;
      } catch (err) {
        if (signal.aborted) return;
        plog("error", `Watch error: ${err.message}`);
        await sleep(5000); // watch.Plan retryInterval
      }
    }
  };

  (async () => {
    while (!signal.aborted) {
      try {
        await load();
        backoff = 500;
        if (!cfg.watch) {
          while (!signal.aborted) {
            await sleep(cfg.refreshInterval);
            await load();
          }
          return;
        }
        // Both plans share one reload loop: triggers while a reload runs coalesce into one more reload.
        let dirty = false;
        let running = false;
        let failure;
        const trigger = () => {
          dirty = true;
          if (running) return;
          running = true;
          (async () => {
            while (dirty && !signal.aborted) {
              dirty = false;
              try {
                await load();
              } catch (err) {
                failure = err;
              }
            }
            running = false;
          })();
        };
        const plans = [
          watchPlan("/v1/catalog/services", trigger),
          watchPlan("/v1/health/state/any", trigger),
        ];
        while (!signal.aborted && !failure) await sleep(200);
        if (failure) throw new Error(`failed to refresh consul catalog data: ${failure.message}`);
        await Promise.all(plans);
      } catch (err) {
        if (signal.aborted) return;
        plog("error", `Provider error, retrying in ${Math.round(backoff)}ms`, { error: err.message });
        await sleep(backoff);
        backoff = Math.min(backoff * 1.5, 60_000);
      }
    }
  })();
}

/** True for the extensions the file provider reads (isFileSupported). */
const supported = (name) => /\.(toml|ya?ml)$/i.test(name);

/** Loads one dynamic configuration file (decodeConfiguration: unknown top-level keys and empty files are fine). */
export function loadDynamicFile(file) {
  if (/\.toml$/i.test(file)) throw new DecodeError(`np's Traefik double reads YAML only, not TOML: ${file}`);
  let data;
  try {
    data = parseYaml(fs.readFileSync(file, "utf8"), { uniqueKeys: true }) ?? {};
  } catch (err) {
    throw new DecodeError(`yaml: ${err.message.split("\n")[0]}`);
  }
  if (typeof data !== "object" || Object.keys(data).length === 0) return {};
  try {
    return decodeFile(data, DYNAMIC_KEYS, file);
  } catch (err) {
    if (err instanceof DecodeError && err.message.startsWith("no valid configuration")) return {};
    throw err;
  }
}

function collect(dir, prefix, out) {
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    const name = prefix ? path.join(prefix, entry.name) : entry.name;
    if (entry.isDirectory()) collect(full, name, out);
    else if (supported(entry.name)) {
      try {
        out.push([name, loadDynamicFile(full)]);
      } catch (err) {
        throw new Error(`${full}: ${err.message}`);
      }
    }
  }
  return out;
}

/** Runs the file provider; calls `onConfig({http})`. A broken file keeps the previous configuration. */
export function runFileProvider(cfg, onConfig, log, signal) {
  const plog = (level, msg, fields = {}) => log(level, msg, { providerName: "file", ...fields });
  const build = () => {
    if (cfg.directory) {
      const named = collect(cfg.directory, "", []);
      return mergeConfigurations(named, "skip", plog);
    }
    if (cfg.filename) return loadDynamicFile(cfg.filename);
    throw new Error("error using file configuration provider, neither filename nor directory is defined");
  };
  const apply = (what) => {
    try {
      onConfig(build());
    } catch (err) {
      plog("error", what, { error: err.message });
    }
  };
  apply("Error while building configuration (for the first time)");
  const onHup = () => apply("Error while building configuration");
  process.on("SIGHUP", onHup);
  signal.addEventListener("abort", () => process.off("SIGHUP", onHup));
  if (!cfg.watch) return;
  let timer;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => apply("Error occurred during watcher callback"), 50);
  };
  const target = cfg.directory || path.dirname(cfg.filename);
  try {
    const watcher = fs.watch(target, changed);
    signal.addEventListener("abort", () => watcher.close());
  } catch (err) {
    plog("error", `error adding file watcher for ${target}: ${err.message}`);
  }
}
