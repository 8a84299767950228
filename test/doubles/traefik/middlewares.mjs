// Traefik TEST DOUBLE: the HTTP middlewares the double models — basicAuth (basic-auth.mjs), redirectScheme and
// redirectRegex (pkg/middlewares/redirect: 302/307, or 301/308 when permanent, body = status text), stripPrefix
// (pkg/middlewares/stripprefix: X-Forwarded-Prefix added), addPrefix, and headers (customRequestHeaders /
// customResponseHeaders; an empty value removes the header). Any other middleware type makes the routers using it
// fail with an error that names the double, so nothing silently passes through.
import { basicAuthMiddleware } from "./basic-auth.mjs";

/** Builds one middleware from its configuration: (req, res, next, ctx) => void. Throws on a bad configuration. */
export function buildMiddleware(conf) {
  const types = Object.keys(conf).filter((k) => !["provider", "status", "usedBy", "err"].includes(k));
  if (types.length !== 1)
    throw new Error(`invalid middleware configuration: expected one type, got ${types.join(", ")}`);
  const [type] = types;
  const c = conf[type] ?? {};
  switch (type) {
    case "basicAuth":
      return basicAuthMiddleware(c);
    case "redirectScheme":
      return redirectScheme(c);
    case "redirectRegex":
      return redirectRegex(c);
    case "stripPrefix":
      return stripPrefix(c);
    case "addPrefix":
      return (req, _res, next) => {
        req.url = `${c.prefix ?? ""}${req.url}`;
        next();
      };
    case "headers":
      return headers(c);
    default:
      throw new Error(`np's Traefik double does not model the ${type} middleware`);
  }
}

function redirect(res, req, location, permanent) {
  const status = permanent ? (req.method === "GET" ? 301 : 308) : req.method === "GET" ? 302 : 307;
  const text = {
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
  }[status];
  res.writeHead(status, {
    location,
    "content-type": "text/plain; charset=utf-8",
    "content-length": text.length,
  });
  res.end(req.method === "HEAD" ? undefined : text);
}

function redirectScheme(c) {
  if (!c.scheme) throw new Error("you must provide a target scheme");
  const port =
    c.port && !((c.scheme === "http" && c.port === "80") || (c.scheme === "https" && c.port === "443"));
  return (req, res, next, ctx) => {
    if (ctx.scheme === c.scheme) return next();
    const host = String(req.headers.host ?? "").replace(/:\d+$/, "");
    redirect(
      res,
      req,
      `${c.scheme}://${host}${port ? `:${c.port}` : ""}${req.url}`,
      c.permanent === true || c.permanent === "true",
    );
  };
}

function redirectRegex(c) {
  const re = new RegExp(c.regex);
  return (req, res, next, ctx) => {
    const url = `${ctx.scheme}://${req.headers.host ?? ""}${req.url}`;
    if (!re.test(url)) return next();
    const location = url.replace(re, c.replacement.replace(/\$\{(\d+)\}/g, "$$$1"));
    redirect(res, req, location, c.permanent === true || c.permanent === "true");
  };
}

function stripPrefix(c) {
  const prefixes = Array.isArray(c.prefixes) ? c.prefixes : String(c.prefixes ?? "").split(",");
  return (req, _res, next) => {
    const u = new URL(req.url, "http://x");
    for (const p of prefixes) {
      if (!u.pathname.startsWith(p)) continue;
      let rest = u.pathname.slice(p.length);
      if (!rest.startsWith("/")) rest = `/${rest}`;
      req.url = `${rest}${u.search}`;
      req.headers["x-forwarded-prefix"] = p;
      break;
    }
    next();
  };
}

function headers(c) {
  const reqH = c.customRequestHeaders ?? {};
  const resH = c.customResponseHeaders ?? {};
  return (req, res, next) => {
    for (const [k, v] of Object.entries(reqH)) {
      if (v === "") delete req.headers[k.toLowerCase()];
      else req.headers[k.toLowerCase()] = v;
    }
    for (const [k, v] of Object.entries(resH)) {
      if (v === "") res.removeHeader(k);
      else res.setHeader(k, v);
    }
    next();
  };
}
