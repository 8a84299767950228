/** The cluster UIs `np open` can reach (a module of its own: `np --help` loads it, and nothing else with it). */
export const UIS = ["openobserve", "nomad", "consul", "traefik"] as const;
export type Ui = (typeof UIS)[number];
