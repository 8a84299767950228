// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${meta.disk} is a Nomad constraint attribute
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderPlan } from "../../src/app/index.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../fixtures/app", name), "utf8"));

describe("renderPlan", () => {
  it("lists what is placed and replaced, each changed field old → new, env values as (secret)", () => {
    const plan = renderPlan(fixture("plan.update.json"));
    expect(plan.noChanges).toBe(false);
    expect(plan.summary).toBe("1 to place, 2 to replace (destroy, then create)");
    expect(plan.lines).toEqual([
      '~ job "web"',
      "  ~ Meta[np_spec_sha256]: 9ed65f02f7f2… → 41ab0c7d2e1f…",
      '  ~ group "web": 1 to place, 2 to replace (destroy, then create)',
      "    ~ Count: 2 → 3 (forces create)",
      "    ~ Service.Check.Interval: 10s → 15s",
      '    ~ task "web" (forces create/destroy update)',
      "      ~ Env[DATABASE_URL]: (secret, changed)",
      "      + Env[FEATURE_FLAGS]: (secret)",
      "      - Env[LEGACY_TOKEN]: (secret)",
      '      ~ Config.image: "ghcr.io/example/web:1.2.3" → "ghcr.io/example/web:1.2.4"',
      "      ~ Resources.MemoryMB: 256 → 512",
    ]);
    expect(plan.warnings).toEqual([]);
    const text = plan.lines.join("\n");
    for (const secret of ["old-pw", "new-pw", "beta", "tok-123"]) expect(text).not.toContain(secret);
  });

  it("says no changes when the job is the same and Nomad would move nothing", () => {
    const plan = renderPlan(fixture("plan.no-change.json"));
    expect(plan).toEqual({
      noChanges: true,
      summary: "no changes",
      lines: ['job "web": no changes to the job', '  group "web": 2 unchanged'],
      warnings: [],
    });
  });

  it("an unchanged job that Nomad would still place (lost instances) is not 'no changes'", () => {
    const plan = fixture("plan.no-change.json");
    plan.Annotations.DesiredTGUpdates.web.Place = 1;
    const r = renderPlan(plan);
    expect(r.noChanges).toBe(false);
    expect(r.summary).toBe("1 to place, 2 unchanged");
  });

  it("shows in-place updates, destroyed instances, string sets and whole objects added, and Nomad's warnings", () => {
    const plan = renderPlan(fixture("plan.in-place-scale-down.json"));
    expect(plan.summary).toBe("1 to update in place, 2 to destroy");
    expect(plan.lines).toEqual([
      '~ job "web"',
      '  ~ group "web": 1 to update in place, 2 to destroy',
      "    ~ Count: 3 → 1 (forces destroy)",
      '    + Service.Tags: "traefik.http.routers.web.rule=Host(`web.example.com`) || Host(`www.example.com`)"',
      '    - Service.Tags: "traefik.http.routers.web.rule=Host(`web.example.com`)"',
      '    + Constraint: LTarget="${meta.disk}", Operand="=", RTarget="ssd"',
    ]);
    expect(plan.warnings).toEqual([
      'Group "web" has warnings: Update max parallel count is greater than task group count (2 > 1). A destructive change would result in the simultaneous replacement of all allocations.',
    ]);
  });

  it("a new job (Nomad's doc sample, with its placeholders) is one line per group and task", () => {
    const plan = renderPlan(fixture("jobs__create-job-plan__sample-response.json"));
    expect(plan.noChanges).toBe(false);
    expect(plan.summary).toBe("11 to place");
    expect(plan.lines).toEqual([
      '+ job "example" (new)',
      '  + group "cache": 11 to place',
      '    + task "redis" (forces create)',
    ]);
  });

  it("verbose: every field of a new task, still with secrets hidden", () => {
    const plan = fixture("jobs__create-job-plan__sample-response.json");
    plan.Diff.TaskGroups[0].Tasks[0].Fields.push({
      Type: "Added",
      Name: "Env[API_KEY]",
      Old: "",
      New: "k-999",
    });
    const lines = renderPlan(plan, { verbose: true }).lines;
    expect(lines.slice(2)).toEqual([
      '    + task "redis" (forces create)',
      '      + Driver: "docker"',
      "      + KillTimeout: 5s",
      "      + Env[API_KEY]: (secret)",
    ]);
  });

  it("hides fields whose names say they are secret, and whole templates", () => {
    const plan = fixture("plan.no-change.json");
    plan.Diff.Type = "Edited";
    plan.Diff.TaskGroups[0].Type = "Edited";
    plan.Diff.TaskGroups[0].Tasks[0] = {
      Type: "Edited",
      Name: "web",
      Fields: [{ Type: "Edited", Name: "Meta[db_password]", Old: "a1", New: "b2" }],
      Objects: [
        {
          Type: "Added",
          Name: "Template",
          Fields: [{ Type: "Added", Name: "EmbeddedTmpl", Old: "", New: "KEY=s3cr3t" }],
          Objects: null,
        },
        {
          Type: "Edited",
          Name: "Template",
          Fields: [{ Type: "Edited", Name: "EmbeddedTmpl", Old: "KEY=old", New: "KEY=new" }],
          Objects: null,
        },
      ],
      Annotations: ["forces create/destroy update"],
    };
    const text = renderPlan(plan).lines.join("\n");
    expect(text).toContain("~ Meta[db_password]: (secret, changed)");
    expect(text).toContain("+ Template: EmbeddedTmpl=(secret)");
    expect(text).toContain("~ Template.EmbeddedTmpl: (secret, changed)");
    for (const secret of ["a1", "b2", "s3cr3t", "KEY=old", "KEY=new"]) expect(text).not.toContain(secret);
  });
});
