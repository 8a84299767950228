import { ApiError, JsonApi } from "./http.js";
import type { DispatcherRef } from "./undici.js";

/** A login for OpenObserve's API (HTTP basic auth). */
export interface OpenObserveLogin {
  email: string;
  password: string;
}

const basic = (l: OpenObserveLogin) => `Basic ${Buffer.from(`${l.email}:${l.password}`).toString("base64")}`;

/**
 * The OpenObserve API calls np makes (routes of openobserve v0.14: src/handler/http/router/mod.rs). The open-source
 * build has no ingest-only role: every user it creates is an admin, but a user's *passcode* is accepted only on
 * ingestion routes (src/handler/http/auth/validator.rs). So np creates a user for the agents once, and hands the
 * agents only its passcode.
 */
export class OpenObserveApi {
  constructor(
    private readonly origin: string,
    private readonly dispatcher: DispatcherRef,
    readonly org = "default",
  ) {}

  private as(login: OpenObserveLogin): JsonApi {
    return new JsonApi("OpenObserve", this.origin, this.dispatcher, { authorization: basic(login) });
  }

  /** POST /api/{org}/users, as `admin`: true when created, false when the user already existed. */
  async ensureUser(
    admin: OpenObserveLogin,
    user: OpenObserveLogin & { firstName: string },
  ): Promise<boolean> {
    const r = await this.as(admin).send<{ code: number; message: string }>(
      "POST",
      `/api/${encodeURIComponent(this.org)}/users`,
      {
        email: user.email,
        password: user.password,
        first_name: user.firstName,
        last_name: "",
        role: "admin",
      },
      [400],
    );
    if (r.status === 200) return true;
    if (/already exists/i.test(r.body.message)) return false;
    throw new ApiError("OpenObserve", r.status, "/users", JSON.stringify(r.body));
  }

  /** GET /api/{org}/passcode, as the user itself: its ingestion passcode. */
  async passcode(user: OpenObserveLogin): Promise<string> {
    const r = await this.as(user).get<{ data: { passcode: string; user: string } }>(
      `/api/${encodeURIComponent(this.org)}/passcode`,
    );
    return r.body.data.passcode;
  }
}
