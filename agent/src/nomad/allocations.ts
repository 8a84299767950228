import path from "node:path";
import { readText } from "../fsp.js";
import { bodyHead, httpRequest, type TlsIdentity } from "../http/client.js";

/** One allocation on this node, as /v1/node reports it. */
export interface AllocationSummary {
  id: string;
  jobId: string;
  taskGroup: string;
  clientStatus: string;
  desiredStatus: string;
  tasks: { name: string; state: string; failed: boolean; restarts: number }[];
}

/** The Nomad client's node ID, which Nomad keeps in <data_dir>/client/client-id. */
export async function readClientId(dataDir: string): Promise<string> {
  const id = (await readText(path.join(dataDir, "client", "client-id"))).trim();
  if (!/^[0-9a-f-]{36}$/.test(id))
    throw new Error(`${path.join(dataDir, "client", "client-id")}: not a node ID`);
  return id;
}

type Json = Record<string, unknown>;
const s = (v: unknown) => (typeof v === "string" ? v : "");

/**
 * Picks the fields np reports from Nomad's `GET /v1/node/:id/allocations` (full `structs.Allocation` objects,
 * Go field names: ID, JobID, TaskGroup, ClientStatus, DesiredStatus, TaskStates{task:{State,Failed,Restarts}}).
 */
export function parseNodeAllocations(doc: unknown): AllocationSummary[] {
  if (!Array.isArray(doc)) throw new Error("Nomad allocations: not a JSON list");
  return doc
    .filter((a): a is Json => typeof a === "object" && a !== null && typeof (a as Json).ID === "string")
    .map((a) => {
      const states = (
        typeof a.TaskStates === "object" && a.TaskStates !== null ? a.TaskStates : {}
      ) as Record<string, Json>;
      return {
        id: s(a.ID),
        jobId: s(a.JobID),
        taskGroup: s(a.TaskGroup),
        clientStatus: s(a.ClientStatus),
        desiredStatus: s(a.DesiredStatus),
        tasks: Object.entries(states)
          .map(([name, t]) => ({
            name,
            state: s(t?.State),
            failed: t?.Failed === true,
            restarts: typeof t?.Restarts === "number" ? t.Restarts : 0,
          }))
          .sort((x, y) => x.name.localeCompare(y.name)),
      };
    });
}

/** True for an allocation that runs (or is about to) on the node, as opposed to a finished one Nomad keeps. */
export const allocationIsLive = (a: AllocationSummary) =>
  a.clientStatus === "running" || a.clientStatus === "pending";

/** The CA and client certificate the agent reaches Nomad's HTTPS API with, read from the files np writes. */
export async function readNomadTls(files: {
  caFile: string;
  certFile: string;
  keyFile: string;
}): Promise<TlsIdentity> {
  const [ca, cert, key] = await Promise.all([
    readText(files.caFile),
    readText(files.certFile),
    readText(files.keyFile),
  ]);
  return { ca, cert, key };
}

/** Reads this node's allocations from the Nomad agent's HTTP API (HTTPS with `tls`), with the agent's token. */
export async function fetchNodeAllocations(
  address: string,
  token: string | null,
  nodeId: string,
  tls?: TlsIdentity,
): Promise<AllocationSummary[]> {
  const res = await httpRequest({
    method: "GET",
    url: `${address}/v1/node/${nodeId}/allocations`,
    headers: token ? { "X-Nomad-Token": token } : {},
    maxBodyBytes: 32 * 1024 * 1024,
    ...(tls && { tls }),
  });
  if (res.status !== 200) throw new Error(`Nomad answered HTTP ${res.status}: ${bodyHead(res.body)}`);
  return parseNodeAllocations(JSON.parse(res.body));
}
