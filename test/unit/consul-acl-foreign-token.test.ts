import { describe, expect, it } from "vitest";
import type { ConsulAclApi } from "../../src/api/consul-acl.js";
import { ApiError } from "../../src/api/http.js";
import { readAcl } from "../../src/cluster/consul-acl.js";

describe("readAcl with a management token Consul does not know", () => {
  it("names the token file and the likely cause instead of a bare 403", async () => {
    const denied = async () => {
      throw new ApiError("Consul", 403, "/v1/acl/policies", "ACL not found");
    };
    const api = { policies: denied, tokens: denied } as unknown as ConsulAclApi;
    await expect(readAcl(api, [], 0)).rejects.toThrow(
      /Consul does not know np's management token \(\.np\/secrets\/consul-management\): this \.np\/ folder holds another cluster's secrets/,
    );
  });

  it("still lets other errors through as they are", async () => {
    const broken = async () => {
      throw new ApiError("Consul", 403, "/v1/acl/policies", "Permission denied");
    };
    const api = { policies: broken, tokens: broken } as unknown as ConsulAclApi;
    await expect(readAcl(api, [], 0)).rejects.toThrow(/returned HTTP 403: Permission denied/);
  });
});
