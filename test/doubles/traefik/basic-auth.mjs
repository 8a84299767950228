// Traefik TEST DOUBLE: the basicAuth middleware (pkg/middlewares/auth/basic_auth.go, auth.go) with the password
// checks of containous/go-http-auth a37a7636 (basic.go CheckSecret, md5crypt.go), the fork Traefik v3.7 uses:
//   {SHA}<base64 sha1>                      htpasswd -s
//   $2a$ / $2b$ / $2x$ / $2y$ bcrypt         htpasswd -B (checked with bcryptjs)
//   anything else: MD5-crypt "$<magic>$<salt>$<hash>", e.g. $apr1$ (htpasswd -m) or $1$
// A plain-text password never matches (it is read as a broken MD5-crypt string). A failed check answers 401 with
// `WWW-Authenticate: Basic realm="<realm>"` (default "traefik"), Content-Type text/plain and "401 Unauthorized\n".
import { createHash, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import bcrypt from "bcryptjs";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** go-http-auth MD5Crypt (the FreeBSD/Apache MD5-crypt algorithm). */
export function md5Crypt(password, salt, magic) {
  const pw = Buffer.from(password);
  const s = Buffer.from(salt);
  const md5 = (...parts) => createHash("md5").update(Buffer.concat(parts)).digest();
  const alt = md5(pw, s, pw);
  const chunks = [pw, Buffer.from(magic), s];
  for (let i = 0; i < pw.length; i++) chunks.push(alt.subarray(i % 16, (i % 16) + 1));
  for (let i = pw.length; i !== 0; i >>= 1) chunks.push(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final = md5(...chunks);
  for (let i = 0; i < 1000; i++) {
    const parts = [i & 1 ? pw : final];
    if (i % 3 !== 0) parts.push(s);
    if (i % 7 !== 0) parts.push(pw);
    parts.push(i & 1 ? final : pw);
    final = md5(...parts);
  }
  // md5CryptSwaps order, bits packed little-endian 6 at a time into itoa64 characters.
  const swaps = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];
  let out = "";
  let v = 0;
  let bits = 0;
  for (const i of swaps) {
    v |= final[i] << bits;
    for (bits += 8; bits > 6; bits -= 6) {
      out += ITOA64[v & 0x3f];
      v >>>= 6;
    }
  }
  out += ITOA64[v & 0x3f];
  return `${magic}${salt}$${out}`;
}

const equal = (a, b) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** goauth.CheckSecret. */
export function checkSecret(password, secret) {
  if (secret.startsWith("{SHA}")) {
    return equal(secret.slice(5), createHash("sha1").update(password).digest("base64"));
  }
  if (/^\$2[abxy]\$/.test(secret)) {
    try {
      return bcrypt.compareSync(password, secret.replace(/^\$2[xy]\$/, "$2b$"));
    } catch {
      return false;
    }
  }
  const parts = secret.split("$");
  if (parts.length < 4) return false;
  return equal(secret, md5Crypt(password, parts[2], `$${parts[1]}$`));
}

/** Parses the users (getUsers with basicUserParser); throws like NewBasic does. */
export function basicUsers(conf) {
  const lines = [...(conf.users ?? [])];
  if (conf.usersFile) {
    for (const line of fs.readFileSync(conf.usersFile, "utf8").split("\n")) {
      if (line.trim() && !line.startsWith("#")) lines.push(line.trim());
    }
  }
  const users = new Map();
  for (const u of lines) {
    const split = String(u).split(":");
    if (split.length !== 2) throw new Error(`error parsing BasicUser: ${u}`);
    users.set(split[0], split[1]);
  }
  if (users.size === 0) throw new Error(`no users found in ${conf.usersFile ?? ""}`);
  return users;
}

/** The middleware: returns (req, res, next, ctx) handling one request. */
export function basicAuthMiddleware(conf) {
  const users = basicUsers(conf);
  const realm = conf.realm || "traefik";
  return (req, res, next, ctx) => {
    const [user, password] = credentials(req.headers.authorization);
    ctx.log.ClientUsername = user ?? "";
    if (user === undefined || !users.has(user) || !checkSecret(password, users.get(user))) {
      const body = "401 Unauthorized\n";
      res.writeHead(401, {
        "content-type": "text/plain",
        "www-authenticate": `Basic realm="${realm}"`,
        "content-length": body.length,
      });
      return res.end(req.method === "HEAD" ? undefined : body);
    }
    ctx.username = user;
    if (conf.headerField) req.headers[conf.headerField.toLowerCase()] = user;
    if (conf.removeHeader) delete req.headers.authorization;
    next();
  };
}

/** http.Request.BasicAuth. */
function credentials(header) {
  if (!header || !/^basic /i.test(header)) return [];
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i === -1 ? [] : [decoded.slice(0, i), decoded.slice(i + 1)];
}
