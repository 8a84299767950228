// Unit tests of the Nomad double's ACL policy reader and evaluator (acl/policy.go, acl/acl.go), its token
// parsing (command/agent/http.go parseToken), BLAKE2b-256 (structs SetHash) and the tls/acl config checks.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JS module of the double (no types)
import { parseToken } from "../doubles/nomad/acl-auth.mjs";
// @ts-expect-error plain JS module of the double (no types)
import { Acl, parsePolicy } from "../doubles/nomad/acl-policy.mjs";
// @ts-expect-error plain JS module of the double (no types)
import { AclStore } from "../doubles/nomad/acl-store.mjs";
// @ts-expect-error plain JS module of the double (no types)
import { blake2b } from "../doubles/nomad/blake2b.mjs";
// @ts-expect-error plain JS module of the double (no types)
import { checkTlsSettings, loadTls, tlsSettings, validRpcPeer } from "../doubles/nomad/tls.mjs";
import { loadConfig } from "../doubles/nomad-double.mjs";

const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), "np-nomad-acl-unit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const acl = (...rules: string[]) =>
  new Acl(
    false,
    rules.map((r) => parsePolicy(r)),
  );

describe("the Nomad double's ACL policies", () => {
  it("expands the namespace shorthands like acl/policy.go expandNamespacePolicy", () => {
    const p = parsePolicy('namespace "default" { policy = "read" }\nnode { policy = "write" }');
    expect(p.Namespaces[0].Capabilities).toEqual([
      "list-jobs",
      "parse-job",
      "read-job",
      "csi-list-volume",
      "csi-read-volume",
      "read-job-scaling",
      "list-scaling-policies",
      "read-scaling-policy",
      "host-volume-read",
    ]);
    expect(p.Node).toEqual({ Policy: "write" });
    expect(p.Agent).toBeNull();
    const w = parsePolicy('namespace "*" {\n  policy = "write"\n}');
    expect(w.Namespaces[0].Capabilities).toContain("submit-job");
    expect(w.Namespaces[0].Capabilities).toContain("read-logs");
    // host-volume-write implies register, create, delete and read (expandNamespaceCapabilities)
    expect(
      parsePolicy('namespace "x" { capabilities = ["host-volume-write"] }').Namespaces[0].Capabilities,
    ).toEqual([
      "host-volume-write",
      "host-volume-register",
      "host-volume-create",
      "host-volume-delete",
      "host-volume-read",
    ]);
    // the JSON form is accepted too
    expect(parsePolicy('{"namespace": {"default": {"policy": "scale"}}}').Namespaces[0].Capabilities).toEqual(
      ["list-scaling-policies", "read-scaling-policy", "read-job-scaling", "scale-job"],
    );
  });

  it("refuses bad rules with acl.Parse's texts", () => {
    expect(() => parsePolicy('namespace "default" { policy = "admin" }')).toThrow(
      'Invalid namespace policy: &acl.NamespacePolicy{Name:"default", Policy:"admin", Capabilities:[]string(nil), Variables:(*acl.VariablesPolicy)(nil)}',
    );
    expect(() => parsePolicy('namespace "default" { capabilities = ["fly"] }')).toThrow(
      'Invalid namespace capability \'fly\': &acl.NamespacePolicy{Name:"default", Policy:"", Capabilities:[]string{"fly"}, Variables:(*acl.VariablesPolicy)(nil)}',
    );
    expect(() => parsePolicy('agent { policy = "list" }')).toThrow(
      'Invalid agent policy: &acl.AgentPolicy{Policy:"list"}',
    );
    expect(() => parsePolicy("bogus = 1")).toThrow("Invalid policy: bogus = 1");
    expect(() => parsePolicy('namespace "a b" { policy = "read" }')).toThrow(/^Invalid namespace name: /);
    expect(() => parsePolicy('node { policy = "read"')).toThrow(/^Failed to parse ACL Policy: /);
  });

  it("evaluates like acl.NewACL: union of policies, deny wins, the closest glob, max privilege", () => {
    const a = acl(
      'namespace "default" { capabilities = ["read-job"] }',
      'namespace "default" { policy = "write" }',
    );
    expect(a.allowNsOp("default", "submit-job")).toBe(true);
    const d = acl('namespace "default" { policy = "write" }', 'namespace "default" { policy = "deny" }');
    expect(d.allowNsOp("default", "read-job")).toBe(false);
    const g = acl('namespace "prod-*" { policy = "read" }', 'namespace "prod-web-*" { policy = "write" }');
    expect(g.allowNsOp("prod-web-1", "submit-job")).toBe(true);
    expect(g.allowNsOp("prod-db", "submit-job")).toBe(false);
    expect(g.allowNsOp("prod-db", "read-job")).toBe(true);
    expect(g.allowNsOp("default", "read-job")).toBe(false);
    const n = acl('node { policy = "read" }', 'node { policy = "write" }', 'operator { policy = "read" }');
    expect([n.allowNodeRead(), n.allowNodeWrite(), n.allowOperatorRead(), n.allowOperatorWrite()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(acl('agent { policy = "deny" }', 'agent { policy = "write" }').allowAgentRead()).toBe(false);
    expect(new Acl(true).allowNsOp("anything", "alloc-exec")).toBe(true);
  });
});

describe("the Nomad double's ACL state", () => {
  const store = () =>
    new AclStore(
      { index: 10 },
      () => {},
      (s: string) => (s === "1h" ? 3600000 : null),
    );
  const limits = { minTtlNs: 60e9, maxTtlNs: 86400e9 };

  it("bootstraps once; the reset index is the bootstrap's raft index (acl_endpoint.go Bootstrap)", () => {
    const s = store();
    const { token, index } = s.bootstrap("", 0);
    expect([index, token.CreateIndex, token.Type, token.Global]).toEqual([11, 11, "management", true]);
    expect(Buffer.from(token.Hash, "base64")).toHaveLength(32);
    expect(() => s.bootstrap("", 0)).toThrow("ACL bootstrap already done (reset index: 11)");
    expect(() => s.bootstrap("", 5)).toThrow("Invalid bootstrap reset index (specified 5, reset index: 11)");
    expect(s.bootstrap("", 11).index).toBe(12);
    expect(() => store().bootstrap("not-a-uuid", 0)).toThrow("invalid acl token");
  });

  it("validates tokens and policies with Nomad's multierror texts", () => {
    const s = store();
    expect(() => s.upsertToken({ type: "client" }, limits)).toThrow(
      "token 0 invalid: 1 error occurred:\n\t* client token missing policies or roles\n\n",
    );
    expect(() => s.upsertToken({ type: "management", policies: ["x"] }, limits)).toThrow(
      "management token cannot be associated with policies or roles",
    );
    expect(() => s.upsertToken({ type: "root" }, limits)).toThrow("token type must be client or management");
    expect(() => s.upsertPolicy({ name: "bad name", rules: 'node { policy = "nope" }' })).toThrow(
      "policy 0 invalid: 2 errors occurred:\n\t* invalid name 'bad name'\n\t* failed to parse rules: Invalid node policy: &acl.NodePolicy{Policy:\"nope\"}\n\n",
    );
    const { token } = s.upsertToken(
      { name: "t", type: "client", policies: ["p"], expirationttl: "1h" },
      limits,
    );
    expect(Date.parse(token.ExpirationTime) - Date.parse(token.CreateTime)).toBe(3600000);
    expect(token.ExpirationTTL).toBe(3600e9);
    // an update keeps the secret and the create index (state_store upsertACLTokenTxn)
    const again = s.upsertToken(
      { accessorid: token.AccessorID, name: "t2", type: "client", policies: ["p"], expirationttl: "1h" },
      limits,
    );
    expect([again.token.SecretID, again.token.CreateIndex]).toEqual([token.SecretID, token.CreateIndex]);
    expect(() => s.deleteToken("nope")).toThrow("Cannot delete nonexistent tokens: nope");
  });
});

describe("the Nomad double's request and config helpers", () => {
  it("takes the token from X-Nomad-Token, else a Bearer Authorization header (parseToken)", () => {
    expect(parseToken({ "x-nomad-token": " abc ", authorization: "Bearer def" })).toBe("abc");
    expect(parseToken({ authorization: "bearer  def ghi" })).toBe("def");
    expect(parseToken({ authorization: "Basic xyz" })).toBe("");
    expect(parseToken({ authorization: "Bearer" })).toBe("");
  });

  it("computes BLAKE2b-256 (blake2b.New256) — RFC 7693 test vector", () => {
    expect(blake2b("abc").toString("hex")).toBe(
      "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
    );
  });

  it("checks tls settings and files like tlsutil (texts of NewTLSConfiguration and Load*)", () => {
    expect(() => checkTlsSettings(tlsSettings({ tls_min_version: "tls14" }))).toThrow(
      'unsupported TLS version "tls14"',
    );
    expect(() => checkTlsSettings(tlsSettings({ tls_cipher_suites: "TLS_FAKE" }))).toThrow(
      'unsupported TLS cipher "TLS_FAKE"',
    );
    const t = tlsSettings({ rpc: true, ca_file: "/nope/ca.pem" });
    expect(() => loadTls(tlsSettings({ rpc: true }), { verifyIncoming: true, verifyOutgoing: true })).toThrow(
      "VerifyOutgoing set, and no CA certificate provided!",
    );
    expect(() => loadTls(t, { verifyIncoming: true, verifyOutgoing: true })).toThrow(
      "Failed to read CA file: open /nope/ca.pem: no such file or directory",
    );
    const ca = path.join(tmp, "notpem.pem");
    writeFileSync(ca, "hello");
    expect(() =>
      loadTls(tlsSettings({ ca_file: ca }), { verifyIncoming: false, verifyOutgoing: false }),
    ).toThrow(`Failed to parse any valid certificates in CA file: ${ca}`);
    expect(validRpcPeer("server.other.nomad", "global")).toBe(true);
    expect(validRpcPeer("client.other.nomad", "global")).toBe(false);
    expect(validRpcPeer("client.global.nomad", "global")).toBe(true);
    expect(validRpcPeer("server.global.consul", "global")).toBe(false);
  });

  it("refuses an unparsable acl duration (config_parse.go convertDurations, its role_ttl slip included)", () => {
    const f = path.join(tmp, "acl.hcl");
    writeFileSync(f, 'acl {\n  enabled = true\n  role_ttl = "5x"\n}\n');
    expect(() => loadConfig([f])).toThrow(
      `Error loading configuration from ${f}: acl.policy_ttl can't parse time duration 5x`,
    );
  });

  it("fails to start with Nomad's texts when the CA file holds no certificate", async () => {
    const f = path.join(tmp, "tls.hcl");
    writeFileSync(
      f,
      `data_dir = "${tmp}/d"\nbind_addr = "127.0.0.1"\nports { http = 0\n rpc = 0\n serf = 0 }\nserver { enabled = true }\ntls {\n  rpc = true\n  http = true\n  ca_file = "${tmp}/ca.pem"\n}\n`,
    );
    writeFileSync(path.join(tmp, "ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    const r = await promisify(execFile)(process.execPath, [DOUBLE, "agent", "-config", f]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((r as { code: number }).code).toBe(1);
    expect((r as { stderr: string }).stderr).toContain(
      `==> Error starting agent: server setup failed: Failed to parse any valid certificates in CA file: ${tmp}/ca.pem`,
    );
  });
});
