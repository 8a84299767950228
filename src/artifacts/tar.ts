/**
 * A minimal tar reader (ustar, with pax and GNU long-name headers): enough to take one executable out of a
 * release tarball. No installed library reads tar, and release tarballs hold a handful of entries.
 */

const BLOCK = 512;

/** The content of the regular file `name` (a leading "./" is ignored), or undefined when there is none. */
export function findTarEntry(tar: Uint8Array, name: string): Uint8Array | undefined {
  const want = stripDot(name);
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return undefined; // end-of-archive marker
    const size = readSize(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + BLOCK;
    const data = tar.subarray(start, start + size);
    if (data.length < size) throw new Error("truncated tar archive");
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") longName = paxPath(data) ?? longName;
    else if (type === "L") longName = text(data);
    else if (type !== "g") {
      const prefix = text(header.subarray(345, 500));
      const ustar = text(header.subarray(257, 262)) === "ustar";
      const entry =
        longName ??
        (ustar && prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
      longName = undefined;
      if ((type === "0" || type === "\0" || type === "7") && stripDot(entry) === want) return data;
    }
  }
  return undefined;
}

function readSize(field: Uint8Array): number {
  // Sizes of 8 GiB and more use base-256: high bit set, big-endian binary.
  if (((field[0] ?? 0) & 0x80) !== 0)
    return field.subarray(1).reduce((n, b) => n * 256 + b, (field[0] ?? 0) & 0x7f);
  const octal = text(field).trim();
  const size = octal === "" ? 0 : Number.parseInt(octal, 8);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error("corrupt tar header (size)");
  return size;
}

function paxPath(data: Uint8Array): string | undefined {
  // Records are "<len> <key>=<value>\n".
  for (const record of new TextDecoder().decode(data).split("\n")) {
    const m = /^\d+ path=(.*)$/.exec(record);
    if (m) return m[1];
  }
  return undefined;
}

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
}

function stripDot(name: string): string {
  return name.replace(/^(\.\/)+/, "");
}
