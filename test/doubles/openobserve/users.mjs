// OpenObserve TEST DOUBLE: users, roles, ingestion tokens ("passcodes") and the checks of v0.14.7's
// src/service/users.rs, src/common/meta/user.rs, src/service/organization.rs and src/job/mod.rs (root user).
import { createHash, randomInt, randomUUID } from "node:crypto";

/** src/service/users.rs post_user and src/job/mod.rs init: unanchored at the end, exactly as upstream. */
export const EMAIL_RE = /^([a-z0-9_+]([a-z0-9_+.-]*[a-z0-9_+])?)@([a-z0-9]+([-.]{1}[a-z0-9]+)*\.[a-z]{2,6})/;
/** Roles of the open-source build (UserRole without the `enterprise` variants viewer, editor, user). */
export const OSS_ROLES = ["admin", "member", "root", "service_account"];
export const DEFAULT_ORG = "default";

/** config::utils::rand::generate_random_string: `Alphanumeric` characters. */
export function randomString(n) {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < n; i++) s += abc[randomInt(abc.length)];
  return s;
}

/**
 * The double's password hash. The real one is Argon2d (common/utils/auth.rs get_hash, m=2048 t=4 p=2) of the
 * password with a per-user salt; the double stores a salted SHA-256 instead (not a security boundary: tests only).
 */
export function passwordHash(password, salt) {
  return `np-double-sha256$${createHash("sha256").update(`${password}${salt}`).digest("hex")}`;
}

/** A new user record (UserRequest::to_new_dbuser) for `org`. */
export function newUser({ email, firstName = "", lastName = "", password, role, token, org }) {
  const salt = randomUUID();
  return {
    email,
    first_name: firstName,
    last_name: lastName,
    salt,
    password: passwordHash(password, salt),
    is_external: false,
    organizations: [
      { name: org, role, token: token || randomString(16), rum_token: `rum${randomString(16)}` },
    ],
  };
}

/** The user's membership of `org` (DBUser::get_user), or undefined. */
export function membership(user, org) {
  return user?.organizations.find((o) => o.name === org);
}

/** True when `email` is the root user (common/utils/auth.rs is_root_user: role root in the default org). */
export function isRoot(store, email) {
  return membership(store.user(email), DEFAULT_ORG)?.role === "root";
}

/** The root user, if one exists (db::user::root_user_exists). */
export function rootUser(store) {
  return store.users.find((u) => membership(u, DEFAULT_ORG)?.role === "root");
}

/**
 * src/job/mod.rs init: the first start (no root user yet) panics when the email is empty or invalid or the
 * password is empty; from v0.91.0 on (commit 833b2bdc, "enforce strong password policy") also when the password
 * is weak (config/src/utils/password.rs). Later starts ignore both variables. Returns the panic message or null.
 */
export function rootUserProblem(cfg, version) {
  if (!cfg.rootEmail || !EMAIL_RE.test(cfg.rootEmail) || !cfg.rootPassword) {
    return {
      line: versionAtLeast(version, "0.91.0") ? "src/job/mod.rs:308:13" : "src/job/mod.rs:63:13",
      message:
        "Please set root user email-id & password using ZO_ROOT_USER_EMAIL & ZO_ROOT_USER_PASSWORD environment variables. This can also indicate an invalid email ID. Email ID must comply with ([a-z0-9_+]([a-z0-9_+.-]*[a-z0-9_+])?)@([a-z0-9]+([\\-\\.]{1}[a-z0-9]+)*\\.[a-z]{2,6})",
    };
  }
  if (versionAtLeast(version, "0.91.0") && !strongPassword(cfg.rootPassword)) {
    return {
      line: "src/job/mod.rs:315:13",
      message:
        "ZO_ROOT_USER_PASSWORD is too weak: Password must be 8-128 characters and contain at least one lowercase letter, one uppercase letter, one digit, and one special character.",
    };
  }
  return null;
}

/** config/src/utils/password.rs validate_password_strength (v0.91.0+). */
export function strongPassword(p) {
  const chars = [...p];
  if (chars.length < 8 || chars.length > 128) return false;
  const lower = chars.some((c) => c >= "a" && c <= "z");
  const upper = chars.some((c) => c >= "A" && c <= "Z");
  const digit = chars.some((c) => c >= "0" && c <= "9");
  const special = chars.some((c) => !/[A-Za-z0-9]/.test(c));
  return lower && upper && digit && special;
}

/** "0.14.7" >= "0.91.0"? (numeric, dot-separated, a leading "v" ignored) */
export function versionAtLeast(version, min) {
  const a = version.replace(/^v/, "").split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}
