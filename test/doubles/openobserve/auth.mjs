// OpenObserve TEST DOUBLE: authentication of /api/* in the open-source build of v0.14.7, as
// src/handler/http/auth/validator.rs (oo_validator, validate_credentials) and src/common/utils/auth.rs
// (AuthExtractor for `not(feature = "enterprise")`) do it. check_permissions is `true` in that build.
import { DEFAULT_ORG, isRoot, membership, passwordHash } from "./users.mjs";

/** src/common/meta/ingestion.rs INGESTION_EP: path parts on which the ingestion token is accepted. */
export const INGESTION_EP = [
  "_bulk",
  "_json",
  "_multi",
  "traces",
  "write",
  "_kinesis_firehose",
  "_license",
  "_xpack",
  "_index_template",
  "_data_stream",
  "_sub",
  "logs",
  "metrics",
  "_json_arrow",
];

/**
 * Authenticates a request under /api/. `relPath` is the path without "/api/" (e.g. "default/app/_json").
 * Returns { ok: true, user, email, role } or { ok: false, status, body } with actix's plain-text error body
 * (ErrorUnauthorized("Unauthorized Access") is 401 text/plain "Unauthorized Access").
 */
export function authenticate(store, authorization, relPath) {
  const unauthorized = { ok: false, status: 401, body: "Unauthorized Access" };
  if (!authorization) return unauthorized; // AuthExtractor: no header, no cookie
  if (!authorization.startsWith("Basic")) return unauthorized; // Bearer needs the enterprise build (Dex)
  let decoded;
  try {
    const b64 = authorization.slice("Basic".length).trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return unauthorized;
    decoded = Buffer.from(b64, "base64").toString("utf8");
  } catch {
    return unauthorized;
  }
  const colon = decoded.indexOf(":");
  if (colon === -1) return unauthorized; // get_user_details: splitn(2, ':') needs two parts
  const email = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1).trim(); // validator() passes password.trim()
  return validateCredentials(store, email, password, relPath);
}

function validateCredentials(store, email, password, relPath) {
  const invalid = { ok: false, status: 401, body: "Unauthorized Access" };
  const columns = relPath.split("/");
  if (columns.at(-1) === "") columns.pop();
  let user;
  let member;
  if (isRoot(store, email)) {
    user = store.user(email);
    member = membership(user, DEFAULT_ORG);
  } else if (columns.at(-1) === "organizations") {
    user = store.user(email);
    member = user?.organizations[0];
  } else {
    const org = columns.length > 1 && columns[0] === "v2" ? columns[1] : columns[0];
    user = relPath.includes("/") ? store.user(email) : undefined;
    member = membership(user, org);
  }
  if (!user || !member) return invalid;
  const granted = { ok: true, user, email: user.email, role: member.role, org: member.name };
  // A service account authenticates with its token on every path.
  if (member.role === "service_account" && member.token === password) return granted;
  // Any user's ingestion token ("passcode") is accepted only on ingestion paths (or a one-part path).
  if (
    (columns.length === 1 || INGESTION_EP.some((ep) => columns.includes(ep))) &&
    member.token === password
  ) {
    return granted;
  }
  if (user.password !== passwordHash(password, user.salt)) return invalid;
  if (!relPath.includes("/user") || ["admin", "root"].includes(member.role) || user.email === email) {
    return granted;
  }
  return { ok: false, status: 403, body: "Not allowed" };
}
