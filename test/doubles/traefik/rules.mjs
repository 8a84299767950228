// Traefik TEST DOUBLE: router rules in the v3 syntax (pkg/muxer/http/matcher.go, mux.go, pkg/rules/parser.go):
// Host, HostRegexp, Path, PathPrefix, PathRegexp, Method, Header, HeaderRegexp, Query, QueryRegexp, ClientIP,
// combined with &&, ||, ! and parentheses; arguments are `backquoted` or "double-quoted" strings.
// Go regexps are run as JavaScript regexps (the common subset behaves the same).
import net from "node:net";

const ARITY = {
  ClientIP: [1],
  Method: [1],
  Host: [1],
  HostRegexp: [1],
  Path: [1],
  PathRegexp: [1],
  PathPrefix: [1],
  Header: [2],
  HeaderRegexp: [2],
  Query: [1, 2],
  QueryRegexp: [1, 2],
};

export class RuleError extends Error {}

function tokenize(rule) {
  const toks = [];
  let i = 0;
  while (i < rule.length) {
    const c = rule[i];
    if (/\s/.test(c)) i++;
    else if (rule.startsWith("&&", i) || rule.startsWith("||", i)) {
      toks.push({ t: rule.slice(i, i + 2) });
      i += 2;
    } else if ("!(),".includes(c)) {
      toks.push({ t: c });
      i++;
    } else if (c === "`") {
      const end = rule.indexOf("`", i + 1);
      if (end === -1) throw new RuleError("unterminated raw string");
      toks.push({ t: "str", v: rule.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < rule.length && rule[j] !== '"') j += rule[j] === "\\" ? 2 : 1;
      if (j >= rule.length) throw new RuleError("unterminated string");
      toks.push({ t: "str", v: JSON.parse(rule.slice(i, j + 1)) });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < rule.length && /\w/.test(rule[j])) j++;
      toks.push({ t: "id", v: rule.slice(i, j) });
      i = j;
    } else throw new RuleError(`unexpected character ${JSON.stringify(c)}`);
  }
  return toks;
}

/** Parses a rule into a matcher function (req → boolean); throws RuleError like Traefik's "error while parsing rule". */
export function compileRule(rule) {
  const toks = tokenize(rule);
  let i = 0;
  const peek = (t) => toks[i]?.t === t;
  const orExpr = () => {
    let left = andExpr();
    while (peek("||")) {
      i++;
      const l = left;
      const r = andExpr();
      left = (req) => l(req) || r(req);
    }
    return left;
  };
  const andExpr = () => {
    let left = unary();
    while (peek("&&")) {
      i++;
      const l = left;
      const r = unary();
      left = (req) => l(req) && r(req);
    }
    return left;
  };
  const unary = () => {
    if (peek("!")) {
      i++;
      const inner = unary();
      return (req) => !inner(req);
    }
    if (peek("(")) {
      i++;
      const inner = orExpr();
      if (!peek(")")) throw new RuleError("expected )");
      i++;
      return inner;
    }
    const id = toks[i++];
    if (id?.t !== "id") throw new RuleError("expected a matcher");
    if (!ARITY[id.v]) throw new RuleError(`unsupported function: ${id.v}`);
    if (!peek("(")) throw new RuleError(`expected ( after ${id.v}`);
    i++;
    const args = [];
    while (!peek(")")) {
      const s = toks[i++];
      if (s?.t !== "str") throw new RuleError(`${id.v}: arguments must be strings`);
      args.push(s.v);
      if (peek(",")) i++;
      else if (!peek(")")) throw new RuleError("expected , or )");
    }
    i++;
    if (!ARITY[id.v].includes(args.length)) {
      throw new RuleError(
        `unexpected number of parameters; got ${args.length}, expected one of [${ARITY[id.v].join(" ")}]`,
      );
    }
    return matcher(id.v, args);
  };
  try {
    const m = orExpr();
    if (i !== toks.length) throw new RuleError("unexpected trailing input");
    return m;
  } catch (err) {
    throw new RuleError(`error while parsing rule ${rule}: ${err.message}`);
  }
}

function matcher(name, args) {
  const [a, b] = args;
  switch (name) {
    case "Host":
      return hostMatcher(a);
    case "HostRegexp": {
      const re = new RegExp(a);
      return (req) => re.test(req.canonicalHost);
    }
    case "Path":
      if (!a.startsWith("/")) throw new RuleError(`path "${a}" does not start with a '/'`);
      return (req) => req.routingPath === a;
    case "PathPrefix":
      if (!a.startsWith("/")) throw new RuleError(`path "${a}" does not start with a '/'`);
      return (req) => req.routingPath.startsWith(a);
    case "PathRegexp": {
      const re = new RegExp(a);
      return (req) => re.test(req.routingPath);
    }
    case "Method": {
      const m = a.toUpperCase();
      return (req) => req.method === m;
    }
    case "Header":
      return (req) => headerValues(req, a).includes(b);
    case "HeaderRegexp": {
      const re = new RegExp(b);
      return (req) => headerValues(req, a).some((v) => re.test(v));
    }
    case "Query":
      return (req) => (b === undefined ? req.query.has(a) : req.query.getAll(a).includes(b));
    case "QueryRegexp": {
      const re = new RegExp(b ?? "");
      return (req) => req.query.getAll(a).some((v) => re.test(v));
    }
    default:
      return clientIpMatcher(a);
  }
}

/** muxer.DomainMatchHostExpression plus the trailing-period cases of matcher.go host(). */
function hostMatcher(expr) {
  if (expr === "*") return () => true;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: muxer.IsASCII
  if (!/^[\x00-\x7f]*$/.test(expr)) {
    throw new RuleError(`invalid value "${expr}" for Host matcher, non-ASCII characters are not allowed`);
  }
  const e = expr.toLowerCase();
  const match = (domain, h) => {
    if (h.startsWith("*")) {
      const labels = domain.split(".");
      labels[0] = "*";
      return labels.join(".") === h;
    }
    return domain === h;
  };
  return (req) => {
    const host = req.canonicalHost;
    if (!host) return false;
    if (match(host, e)) return true;
    if (e.endsWith(".") && match(host, e.slice(0, -1))) return true;
    return host.endsWith(".") && match(host.slice(0, -1), e);
  };
}

function headerValues(req, name) {
  const v = req.headers[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function clientIpMatcher(range) {
  const list = new net.BlockList();
  const [addr, bits] = range.split("/");
  const family = net.isIPv6(addr) ? "ipv6" : "ipv4";
  if (!net.isIP(addr))
    throw new RuleError(`initializing IP checker for ClientIP matcher: invalid IP ${range}`);
  if (bits === undefined) list.addAddress(addr, family);
  else list.addSubnet(addr, Number(bits), family);
  return (req) => {
    const ip = req.remoteIp.replace(/^::ffff:/, "");
    return list.check(ip, net.isIPv6(ip) ? "ipv6" : "ipv4");
  };
}

const RESERVED = new Set([
  "%3A",
  "%2F",
  "%3F",
  "%23",
  "%5B",
  "%5D",
  "%40",
  "%21",
  "%24",
  "%26",
  "%27",
  "%28",
]);
for (const r of ["%29", "%2A", "%2B", "%2C", "%3B", "%3D", "%25"]) RESERVED.add(r);

/** mux.go withRoutingPath: non-reserved percent-encoded characters decoded, reserved ones kept encoded. */
export function routingPath(escapedPath) {
  return escapedPath.replace(/%[0-9A-Fa-f]{2}/g, (e) =>
    RESERVED.has(e.toUpperCase()) ? e : decodeURIComponent(e),
  );
}

/** requestdecorator parseHost: the Host header without its port (and without IPv6 brackets), lower case. */
export function canonicalHost(hostHeader) {
  const h = String(hostHeader ?? "");
  if (!h.includes(":")) return h.toLowerCase();
  const m = /^\[([^\]]+)\](?::\d*)?$/.exec(h);
  if (m) return m[1].toLowerCase();
  const parts = h.split(":");
  return (parts.length === 2 ? parts[0] : h).toLowerCase();
}
