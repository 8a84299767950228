import type { Dispatcher } from "undici";

/**
 * undici, loaded on first use. It is a third of np's bundle (1.4 MB): loaded at start-up it delayed every
 * command's first SSH handshake; loaded here, it loads while np waits for the hosts' first answers.
 */
export type Undici = typeof import("undici");

let loading: Promise<Undici> | undefined;

export function undici(): Promise<Undici> {
  // Bundled, a CommonJS module imported dynamically is its `default` (esbuild); unbundled (tests), Node also gives
  // its named exports.
  loading ??= import("undici").then((m) => (m as { default?: Undici }).default ?? m);
  return loading;
}

/** A dispatcher, or one being made (undici still loading). */
export type DispatcherRef = Dispatcher | Promise<Dispatcher>;
