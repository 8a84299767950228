import { bodyHead, httpRequest } from "../http/client.js";

/** How OpenObserve answered one ingest request. */
export type IngestOutcome =
  | { kind: "accepted"; successful: number; failed: number; error: string | null }
  /** Retry later: OpenObserve down, overloaded, or refusing the credential. */
  | { kind: "retry"; reason: string }
  /** The request itself is refused (400, 413): sending it again would be refused again. */
  | { kind: "rejected"; reason: string };

/**
 * Reads the ingest answer `{"code":200,"status":[{"name":"<stream>","successful":N,"failed":M,"error"?}]}`
 * (OpenObserve ingestion_common). Sums the counts over the status entries.
 */
export function parseIngestResponse(status: number, body: string): IngestOutcome {
  if (status >= 200 && status < 300) {
    let successful = 0;
    let failed = 0;
    const errors: string[] = [];
    try {
      const doc = JSON.parse(body) as { status?: { successful?: number; failed?: number; error?: string }[] };
      for (const s of doc.status ?? []) {
        successful += typeof s.successful === "number" ? s.successful : 0;
        failed += typeof s.failed === "number" ? s.failed : 0;
        if (s.error) errors.push(s.error);
      }
    } catch {
      // A 2xx whose body is not the usual JSON: the records were taken; nothing to count.
    }
    return { kind: "accepted", successful, failed, error: errors.length ? errors.join("; ") : null };
  }
  const reason = `HTTP ${status}${body.trim() ? `: ${bodyHead(body)}` : ""}`;
  if (status === 400 || status === 413) return { kind: "rejected", reason };
  return { kind: "retry", reason };
}

/** The OpenObserve ingest endpoint for JSON arrays. */
export interface IngestTarget {
  url: string;
  org: string;
  user: string;
  password: string;
}

/** POSTs one JSON array to /api/<org>/<stream>/_json with basic auth. */
export async function ingest(target: IngestTarget, stream: string, body: string): Promise<IngestOutcome> {
  let res: { status: number; body: string };
  try {
    res = await httpRequest({
      method: "POST",
      url: `${target.url}/api/${encodeURIComponent(target.org)}/${encodeURIComponent(stream)}/_json`,
      headers: {
        authorization: `Basic ${Buffer.from(`${target.user}:${target.password}`).toString("base64")}`,
        "content-type": "application/json",
      },
      body,
      timeoutMs: 30_000,
      maxBodyBytes: 1024 * 1024,
    });
  } catch (err) {
    return { kind: "retry", reason: (err as Error).message };
  }
  return parseIngestResponse(res.status, res.body);
}
