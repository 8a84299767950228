/** The one place where np.yaml defaults are defined; the schema documents them, normalize applies them. */
export const APP_DEFAULTS = {
  count: 1,
  /** MHz */
  cpu: 100,
  /** MB */
  memory: 256,
  driverForCommand: "exec",
  healthCheck: { path: "/", interval: "10s", timeout: "2s" },
  update: {
    maxParallel: 1,
    canary: 0,
    autoPromote: false,
    autoRevert: true,
    minHealthyTime: "10s",
    healthyDeadline: "5m",
    progressDeadline: "10m",
  },
  /**
   * Time between an instance leaving Consul and being killed: Traefik must notice first. Traefik's Consul
   * catalog provider sees the change at once when it watches the catalog (and applies it after its 2 s
   * providersThrottleDuration), so 5 s covers it; a Traefik that polls needs more than its refreshInterval.
   */
  shutdownDelay: "5s",
  /** Where Nomad unpacks an artifact, relative to the task's folder (Nomad's own default). */
  artifactDestination: "local/",
} as const;

/** Consul service names np's own components register: an app may not take them. */
export const RESERVED_APP_NAMES = ["consul", "nomad", "nomad-client", "traefik", "openobserve", "np-agent"];

/** The label of the one port every app gets; an app run by `command` reads it from NOMAD_PORT_http. */
export const PORT_LABEL = "http";

/** Traefik's entry points (static config) and the ACME certificate resolver np configures on edge nodes. */
export const TRAEFIK = { httpEntryPoint: "web", httpsEntryPoint: "websecure", certResolver: "letsencrypt" };
