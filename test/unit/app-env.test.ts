// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is np.yaml's variable syntax, not a template
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { resolveAppEnv, revealSecrets, Secret } from "../../src/app/index.js";
import { InputError } from "../../src/errors.js";
import { DOCKER_APP, load } from "./app-fixtures.js";

describe("Secret", () => {
  it("prints as [secret] everywhere a value could reach output by accident", () => {
    const s = new Secret("hunter2");
    expect(String(s)).toBe("[secret]");
    expect(`${s}`).toBe("[secret]");
    expect(JSON.stringify({ s })).toBe('{"s":"[secret]"}');
    expect(inspect({ env: { A: s } })).toBe("{ env: { A: [secret] } }");
    expect(Object.keys(s)).toEqual([]);
    expect(s.reveal()).toBe("hunter2");
  });

  it("is revealed only by revealSecrets, in a copy, at any depth", () => {
    const body = { Job: { Env: { A: new Secret("1"), B: "plain" }, List: [new Secret("2")] } };
    expect(revealSecrets(body)).toEqual({ Job: { Env: { A: "1", B: "plain" }, List: ["2"] } });
    expect(JSON.stringify(body)).not.toMatch(/"1"|"2"/);
  });
});

describe("resolveAppEnv (deploy time)", () => {
  const app = load(`${DOCKER_APP}env:
  LOG_LEVEL: info
  DATABASE_URL: postgres://app:\${DB_PASSWORD}@db:5432/app
  REGION: \${REGION:-eu}
  PORT: \${NOMAD_PORT_http}
  HOST: \${node.unique.name}
  PRICE: $$5
`).app;

  it("takes ${VAR} from the deployer's environment, with defaults, $$ and Nomad's variables left for Nomad", () => {
    const env = resolveAppEnv(app, { DB_PASSWORD: "s3cret" });
    expect(Object.values(env).every((v) => v instanceof Secret)).toBe(true);
    expect(revealSecrets(env)).toEqual({
      LOG_LEVEL: "info",
      DATABASE_URL: "postgres://app:s3cret@db:5432/app",
      REGION: "eu",
      PORT: "${NOMAD_PORT_http}",
      HOST: "${node.unique.name}",
      PRICE: "$5",
    });
    expect(JSON.stringify(env)).not.toContain("s3cret");
  });

  it("names every unset variable at its line, never a value (exit 2)", () => {
    const two = load(`${DOCKER_APP}env:\n  A: "\${TOKEN_A}"\n  B: "literal-secret-\${TOKEN_B}"\n`).app;
    let err: unknown;
    try {
      resolveAppEnv(two, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("np.yaml: the app's env needs 2 variables that are not set");
    expect(e.problems).toEqual([
      "np.yaml:6:6 env.A: environment variable TOKEN_A is not set (set it, or write ${TOKEN_A:-default})",
      "np.yaml:7:6 env.B: environment variable TOKEN_B is not set (set it, or write ${TOKEN_B:-default})",
    ]);
    expect(e.hint).toBe("set them in the environment `np deploy` runs in (values are never printed)");
    expect([e.message, ...e.problems].join("\n")).not.toContain("literal-secret");
  });
});
