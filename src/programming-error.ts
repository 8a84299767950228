const PROGRAMMING_ERRORS = new Set([
  "TypeError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "EvalError",
  "URIError",
  "AssertionError",
]);

/**
 * Whether an error is a bug in np (a TypeError, ReferenceError, a failed assertion, something thrown that is not
 * an Error, …) rather than a failure of the operation: such an error is reported as an internal error with its
 * stack, never dressed up as a host's failure.
 */
export function isProgrammingError(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  return PROGRAMMING_ERRORS.has(err.name) || (err as { code?: string }).code === "ERR_ASSERTION";
}
