// OpenObserve TEST DOUBLE: the environment configuration, read like src/config/src/config.rs (v0.14.7) does.
// Only the variables the double models are read; the real binary reads hundreds (and a `.env` file in its working
// directory, which the double does not).

/** Reads a `bool` variable as Rust's `str::parse::<bool>` does: only "true" or "false". */
function envBool(env, name, def) {
  const v = env[name];
  if (v === undefined || v === "") return def;
  if (v === "true") return true;
  if (v === "false") return false;
  throw new ConfigPanic(`config init error: ${name}: provided string was not \`true\` or \`false\``);
}

function envInt(env, name, def) {
  const v = env[name];
  if (v === undefined || v === "") return def;
  if (!/^-?\d+$/.test(v)) throw new ConfigPanic(`config init error: ${name}: invalid digit found in string`);
  return Number(v);
}

/** A startup failure that the real binary reports as a Rust panic (exit 101 when on the main thread). */
export class ConfigPanic extends Error {}

/** The configuration the double uses, with the real defaults (config.rs `#[env_config(... default = ...)]`). */
export function readConfig(env = process.env) {
  let dataDir = env.ZO_DATA_DIR || "./data/openobserve/";
  if (!dataDir.endsWith("/")) dataDir = `${dataDir}/`; // check_common_config adds the trailing slash
  const localMode = envBool(env, "ZO_LOCAL_MODE", true);
  const localModeStorage = env.ZO_LOCAL_MODE_STORAGE || "disk";
  const queryDefaultLimit = envInt(env, "ZO_QUERY_DEFAULT_LIMIT", 1000);
  return {
    rootEmail: env.ZO_ROOT_USER_EMAIL ?? "",
    rootPassword: env.ZO_ROOT_USER_PASSWORD ?? "",
    rootToken: env.ZO_ROOT_USER_TOKEN ?? "",
    httpAddr: env.ZO_HTTP_ADDR ?? "",
    httpPort: envInt(env, "ZO_HTTP_PORT", 5080),
    ipv6: envBool(env, "ZO_HTTP_IPV6_ENABLED", false),
    grpcAddr: env.ZO_GRPC_ADDR ?? "",
    grpcPort: envInt(env, "ZO_GRPC_PORT", 5081),
    dataDir,
    localMode,
    localModeStorage,
    // config::init: is_local_storage = local_mode && (storage == "disk" || storage == "local")
    isLocalStorage: localMode && (localModeStorage === "disk" || localModeStorage === "local"),
    telemetry: envBool(env, "ZO_TELEMETRY", true),
    ingestAllowedUptoHours: envInt(env, "ZO_INGEST_ALLOWED_UPTO", 5),
    ingestAllowedInFutureHours: envInt(env, "ZO_INGEST_ALLOWED_IN_FUTURE", 24),
    flattenLevel: envInt(env, "ZO_INGEST_FLATTEN_LEVEL", 3),
    queryDefaultLimit: queryDefaultLimit === 0 ? 1000 : queryDefaultLimit,
    payloadLimit: envInt(env, "ZO_PAYLOAD_LIMIT", 209715200),
    jsonLimit: envInt(env, "ZO_JSON_LIMIT", 209715200),
    instanceName: env.ZO_INSTANCE_NAME ?? "",
  };
}
