// Traefik TEST DOUBLE: Traefik's own log (cmd/traefik/logger.go, zerolog) and its access log
// (pkg/middlewares/accesslog: logger.go, logdata.go; logrus JSONFormatter for format "json").
// Log: level from log.level (default ERROR), to stdout or log.filePath; format "json" gives zerolog's
// {"level","time","message",...fields}; otherwise the console form "<RFC3339> <LVL> <message> key=value" without
// colours. Access log: one entry per request, JSON or Common Log Format, to stdout or accessLog.filePath (reopened
// on SIGUSR1), with the fields of logdata.go (headers dropped by default), internal routers excluded unless
// addInternals.
import fs from "node:fs";

const LEVELS = { trace: -1, debug: 0, info: 1, warn: 2, error: 3, fatal: 4, panic: 5 };
const SHORT = {
  trace: "TRC",
  debug: "DBG",
  info: "INF",
  warn: "WRN",
  error: "ERR",
  fatal: "FTL",
  panic: "PNC",
};

/** zerolog's time field: RFC 3339 in local time, seconds precision. */
function rfc3339(d = new Date()) {
  const off = -d.getTimezoneOffset();
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const local = new Date(d.getTime() + off * 60_000).toISOString().replace(/\.\d+Z$/, "");
  return `${local}${off === 0 ? "Z" : `${off > 0 ? "+" : "-"}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`}`;
}

/** A logger for the static `log` section: log(level, message, fields). */
export function makeLogger(conf) {
  let level = String(conf.level ?? "ERROR").toLowerCase();
  const out = conf.filePath ? fs.createWriteStream(conf.filePath, { flags: "a" }) : process.stdout;
  const write = (line) => out.write(`${line}\n`);
  if (!(level in LEVELS)) {
    write(
      JSON.stringify({
        level: "error",
        logLevel: level,
        time: rfc3339(),
        message: "Unspecified or invalid log level, setting the level to default (ERROR)...",
      }),
    );
    level = "error";
  }
  const min = LEVELS[level];
  return (lvl, message, fields = {}) => {
    if (LEVELS[lvl] < min) return;
    if (conf.format === "json") write(JSON.stringify({ level: lvl, ...fields, time: rfc3339(), message }));
    else {
      const kv = Object.entries(fields).map(
        ([k, v]) => ` ${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`,
      );
      write(`${rfc3339()} ${SHORT[lvl]} ${message}${kv.join("")}`);
    }
  };
}

/** The pre-logger error path of cmd/traefik/traefik.go main: zerolog's default JSON logger on stderr. */
export function commandError(message) {
  process.stderr.write(
    `${JSON.stringify({ level: "error", error: message, time: rfc3339(), message: "Command error" })}\n`,
  );
}

/** The access log: entry(fields) writes one request; rotate() reopens the file. */
export function makeAccessLog(conf) {
  let out = open(conf.filePath);
  const fields = conf.fields;
  const keep = (name) => (fields.names[name] ?? fields.defaultMode) === "keep";
  return {
    rotate() {
      if (!conf.filePath) return;
      out.end();
      out = open(conf.filePath);
    },
    keep(status, durationNs) {
      const f = conf.filters;
      if (f.statusCodes.length && !f.statusCodes.some((r) => inRange(status, r))) return false;
      return !(f.minDuration && durationNs / 1e6 < f.minDuration);
    },
    write(core, reqHeaders) {
      const entry = {};
      for (const [k, v] of Object.entries(core)) if (keep(k)) entry[k] = v;
      for (const [k, v] of Object.entries(reqHeaders)) {
        const mode = fields.headers.names[canonical(k)] ?? fields.headers.defaultMode;
        if (mode === "keep") entry[`request_${canonical(k)}`] = Array.isArray(v) ? v.join(",") : v;
        else if (mode === "redact") entry[`request_${canonical(k)}`] = "REDACTED";
      }
      if (conf.format === "json")
        out.write(`${JSON.stringify({ ...entry, level: "info", msg: "", time: rfc3339() })}\n`);
      else out.write(`${clf(core)}\n`);
    },
  };
}

function open(file) {
  return file ? fs.createWriteStream(file, { flags: "a", mode: 0o664 }) : process.stdout;
}

function inRange(status, r) {
  const [a, b] = String(r).split("-").map(Number);
  return b === undefined ? status === a : status >= a && status <= b;
}

/** http.CanonicalHeaderKey. */
function canonical(k) {
  return k.replace(/(^|-)([a-z])/g, (_, d, c) => d + c.toUpperCase());
}

/** CommonLogFormatter (pkg/middlewares/accesslog/logger_formatters.go). */
function clf(c) {
  const t = new Date(c.StartUTC);
  const month = t.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const ts = `${String(t.getUTCDate()).padStart(2, "0")}/${month}/${t.getUTCFullYear()}:${t.toISOString().slice(11, 19)} +0000`;
  const q = (v) => (v === undefined || v === "" ? "-" : `"${v}"`);
  return `${c.ClientHost} - ${c.ClientUsername} [${ts}] "${c.RequestMethod} ${c.RequestPath} ${c.RequestProtocol}" ${c.DownstreamStatus} ${c.DownstreamContentSize} ${q(c.request_Referer)} ${q(c["request_User-Agent"])} ${c.RequestCount} ${q(c.RouterName)} ${q(c.ServiceURL)} ${Math.round(c.Duration / 1e6)}ms`;
}
