// undici's own files that np imports directly (see undici.ts): typed from the package's types.
declare module "undici/lib/dispatcher/agent.js" {
  const Agent: typeof import("undici").Agent;
  export default Agent;
}
declare module "undici/lib/api/api-request.js" {
  const request: (
    this: import("undici").Dispatcher,
    opts: import("undici").Dispatcher.RequestOptions,
  ) => Promise<import("undici").Dispatcher.ResponseData>;
  export default request;
}
