import { randomInt } from "node:crypto";

const LOWER = "abcdefghijkmnopqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";
// Characters that need no quoting in an EnvironmentFile, a YAML scalar, a URL's userinfo or a shell word.
const SPECIAL = "-_.";
const ALL = LOWER + UPPER + DIGITS + SPECIAL;

/**
 * A random password of `length` characters with at least one lower-case letter, upper-case letter, digit and
 * special character (OpenObserve's policy: 8-128 characters of all four classes), from an alphabet that needs no
 * quoting where np writes it. 24 characters give about 145 bits of entropy.
 */
export function generatePassword(length = 24): string {
  if (length < 8 || length > 128) throw new RangeError("a password has 8 to 128 characters");
  const pick = (set: string) => set.charAt(randomInt(set.length));
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SPECIAL)];
  while (chars.length < length) chars.push(pick(ALL));
  // Shuffle (Fisher-Yates), so the required classes are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join("");
}

/** Whether `value` is a password np would generate: 8-128 characters of its alphabet, all four classes. */
export function isPassword(value: string): boolean {
  return (
    value.length >= 8 &&
    value.length <= 128 &&
    [...value].every((c) => ALL.includes(c)) &&
    [LOWER, UPPER, DIGITS, SPECIAL].every((set) => [...value].some((c) => set.includes(c)))
  );
}

/** A named secret holding a generated password. */
export const passwordSecret = (name: string, length = 24) => ({
  name,
  generate: () => generatePassword(length),
  valid: isPassword,
  describe: `a password of ${length} characters`,
});
