/** The inventory: the YAML file that lists a cluster's hosts, how to reach them and what they run. */
export { DEFAULT_VERSIONS } from "./defaults.js";
export { inventoryJsonSchema } from "./json-schema.js";
export { type LoadedInventory, loadInventory, parseInventory } from "./load.js";
export type { HostLookup } from "./resolve-addresses.js";
export { describeInventory } from "./summary.js";
export { type HostSpec, type Inventory, ROLES, type Role, type SshSettings } from "./types.js";
