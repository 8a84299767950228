// Types for the parts of the Nomad test double that its unit tests import. The double is plain JavaScript so it
// can run on a sandbox node with nothing but `node`; these loose types only let the tests type-check.
// biome-ignore-all lint/suspicious/noExplicitAny: parsed HCL is untyped data
export function goDuration(ms: number): string;
export function parseGoDuration(text: string): number;
export function parseHcl(text: string, file?: string): any;
export function loadConfig(paths: string[]): any;
export function normalizeConfig(raw: any, files?: string[]): any;
export function parseAgentFlags(argv: string[]): any;
export function splitHostPort(addr: string, defaultPort: number): any;
export function unexpectedKeys(cfg: any): any;
