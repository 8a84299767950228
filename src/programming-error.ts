/**
 * Whether an error is a bug in np (a TypeError, ReferenceError, …) rather than a failure of the operation: such
 * an error is reported as an internal error with its stack, never dressed up as a host's failure.
 */
export function isProgrammingError(err: unknown): boolean {
  return (
    err instanceof TypeError ||
    err instanceof ReferenceError ||
    err instanceof RangeError ||
    err instanceof SyntaxError ||
    err instanceof EvalError ||
    err instanceof URIError
  );
}
