// Traefik TEST DOUBLE: turning the runtime into request handlers (pkg/server/router/router.go buildRouterHandler,
// pkg/server/service/service.go, pkg/server/middleware): for each enabled router, its middlewares in order, then
// its service (an internal one, or a load balancer). A middleware or service the double cannot build disables the
// router with the error text, as Traefik does with a broken middleware.
import { buildMiddleware } from "./middlewares.mjs";
import { loadBalancer } from "./proxy.mjs";

/** Builds state.handlers for state.runtime, keeping the load balancers (and their turn) of unchanged services. */
export function buildHandlers(state, internalHandlers, previous = { lbs: new Map() }) {
  const rt = state.runtime;
  const lbs = new Map();
  const middlewares = new Map();
  const routers = {};
  for (const [name, r] of Object.entries(rt.routers)) {
    if (r.status !== "enabled") continue;
    const errors = [];
    const chain = [];
    for (const m of r.middlewares) {
      try {
        if (!middlewares.has(m)) middlewares.set(m, buildMiddleware(rt.middlewares[m]));
        chain.push(middlewares.get(m));
      } catch (err) {
        rt.middlewares[m].status = "disabled";
        rt.middlewares[m].err = [err.message];
        errors.push(err.message);
      }
    }
    let service = internalHandlers[r.service];
    if (!service && !r.service.endsWith("@internal")) {
      const svc = rt.services[r.service];
      if (!svc.loadBalancer)
        errors.push(`np's Traefik double models loadBalancer services only (${r.service})`);
      else {
        const key = `${r.service} ${JSON.stringify(svc.loadBalancer)}`;
        const lb = lbs.get(key) ?? previous.lbs.get(key) ?? loadBalancer(svc.loadBalancer);
        lbs.set(key, lb);
        const serviceName = r.service;
        service = (req, res, ctx) => {
          ctx.log.ServiceName = serviceName;
          lb(req, res, ctx);
        };
      }
    } else if (!service) errors.push(`unknown internal service ${r.service}`);
    if (errors.length) {
      r.status = "disabled";
      r.err = [...(r.err ?? []), ...errors];
      continue;
    }
    routers[name] = (req, res, ctx) => {
      let i = 0;
      const next = () => (i < chain.length ? chain[i++](req, res, next, ctx) : service(req, res, ctx));
      next();
    };
  }
  return { routers, lbs };
}
