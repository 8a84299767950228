/** The longest line shipped as is; a longer one is cut there and marked (the rest of it is skipped). */
export const MAX_LINE_BYTES = 16 * 1024;

/** The text appended to a line that was cut. */
export const TRUNCATION_MARKER = ` …[np-agent: line truncated at ${MAX_LINE_BYTES} bytes]`;

/** One line of a log file, decoded. */
export interface Line {
  text: string;
  truncated: boolean;
}

/** What splitting a chunk produced. */
export interface SplitResult {
  lines: Line[];
  /** Bytes of the chunk consumed; the rest (a partial line) is read again with what follows it. */
  consumed: number;
  /** Still inside an over-long line after this chunk. */
  skipping: boolean;
}

/**
 * Cuts bytes to at most `max` without splitting a UTF-8 sequence, then decodes them. Invalid bytes (binary junk)
 * become U+FFFD, so what goes out is always valid UTF-8; a trailing CR (CRLF lines) is dropped.
 */
export function decodeLine(buf: Buffer, start: number, end: number, max = MAX_LINE_BYTES): Line {
  let stop = end;
  const truncated = end - start > max;
  if (truncated) {
    stop = start + max;
    // Back up over continuation bytes (10xxxxxx) so a multi-byte character is not cut in half.
    let back = 0;
    while (back < 3 && stop > start && ((buf[stop] ?? 0) & 0xc0) === 0x80) {
      stop--;
      back++;
    }
  }
  if (!truncated && stop > start && buf[stop - 1] === 0x0d) stop--;
  const text = buf.toString("utf8", start, stop);
  return { text: truncated ? text + TRUNCATION_MARKER : text, truncated };
}

/**
 * Splits a chunk read from a log file into lines. `skipping` says the chunk starts inside an over-long line whose
 * head was already emitted. `final` says no more bytes will ever follow (the file was rotated away), so a last line
 * without a newline is complete. A line longer than `max` is emitted as soon as `max` bytes of it are seen (cut,
 * with the marker), and the rest of it is skipped, however long, so memory stays bounded.
 */
export function splitLines(
  buf: Buffer,
  skipping: boolean,
  final: boolean,
  max = MAX_LINE_BYTES,
): SplitResult {
  const lines: Line[] = [];
  let pos = 0;
  let skip = skipping;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (skip) {
      if (nl < 0) return { lines, consumed: buf.length, skipping: true };
      pos = nl + 1;
      skip = false;
      continue;
    }
    if (nl >= 0) {
      lines.push(decodeLine(buf, pos, nl, max));
      pos = nl + 1;
      continue;
    }
    const rest = buf.length - pos;
    if (rest > max) {
      lines.push(decodeLine(buf, pos, buf.length, max));
      return { lines, consumed: buf.length, skipping: true };
    }
    if (final) {
      lines.push(decodeLine(buf, pos, buf.length, max));
      return { lines, consumed: buf.length, skipping: false };
    }
    return { lines, consumed: pos, skipping: false };
  }
  return { lines, consumed: pos, skipping: skip };
}
