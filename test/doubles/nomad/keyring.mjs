// The gossip keyring of np's Nomad TEST DOUBLE (NOT Nomad): the servers' Serf keyring as Nomad keeps it.
// - command/agent/agent.go setupKeyrings + keyring.go: the keyring file is data_dir/server/serf.keyring (a JSON
//   list of base64 keys, the primary first); `encrypt` only seeds it when there is none, so once the file exists
//   it wins over `encrypt` (command.go warns "keyring exists but -encrypt given, using keyring").
// - memberlist keyring.go: AddKey (no-op when installed), UseKey ("requested key is not in the keyring"),
//   RemoveKey ("removing the primary key is not allowed"); the primary encrypts, every installed key decrypts.
// - serf internal_query.go handle*Key: each member answers a query with {Result, Message, Keys, PrimaryKey} and
//   writes its keyring file after install/use/remove; keymanager.go handleKeyRequest counts the answers
//   ("N/M nodes reported failure", "N/M nodes reported success") over memberlist's NumMembers.
// The double's "encryption" is a tag of the primary key on each gossip message (not AES-GCM): a receiver that
// holds no key with that tag refuses it with memberlist's "No installed keys could decrypt the message".
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Where Nomad keeps a server's keyring (command/agent/keyring.go serfKeyring). */
export const KEYRING_FILE = "server/serf.keyring";

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Go's base64.StdEncoding.DecodeString: the bytes, or its error text. */
export function decodeBase64(s) {
  if (!B64.test(s) || s.length % 4 !== 0) {
    const bad = [...s].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
    const at = bad >= 0 ? bad : Math.floor(s.length / 4) * 4;
    return { error: `illegal base64 data at input byte ${at}` };
  }
  return { bytes: Buffer.from(s, "base64") };
}

/** The tag the double puts on messages encrypted with `key` (bytes). */
const tagOf = (key) => createHash("sha256").update(key).digest("hex").slice(0, 16);

/** One server's keyring: installed keys (bytes), the primary first, persisted in data_dir/server/serf.keyring. */
export class GossipKeyring {
  constructor(file, keys) {
    this.file = file;
    this.keys = keys;
  }

  /**
   * setupKeyrings: seeds the file from `encrypt` when there is none, then loads the file if it exists (an agent
   * without `encrypt` still loads an existing keyring). No file and no `encrypt`: encryption disabled.
   */
  static load(dataDir, encrypt) {
    const file = path.join(dataDir, KEYRING_FILE);
    if (encrypt && !fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, JSON.stringify([encrypt]), { mode: 0o600 });
    }
    if (!fs.existsSync(file)) return new GossipKeyring("", []);
    const list = JSON.parse(fs.readFileSync(file, "utf8"));
    if (!Array.isArray(list) || list.length === 0)
      throw new Error(`no keys present in keyring file: ${file}`);
    const keys = list.map((k) => {
      const d = decodeBase64(String(k));
      if (d.error) throw new Error(d.error);
      return d.bytes;
    });
    return new GossipKeyring(file, keys);
  }

  /** serf.EncryptionEnabled: a keyring with keys. */
  get enabled() {
    return this.keys.length > 0;
  }

  /** The tag of the key this server encrypts with ("" without encryption). */
  primaryTag() {
    return this.enabled ? tagOf(this.keys[0]) : "";
  }

  /** Whether a message tagged `tag` decrypts here: with any installed key, or plain when encryption is off. */
  accepts(tag) {
    return this.enabled ? this.keys.some((k) => tagOf(k) === tag) : tag === "";
  }

  /** The keys, base64, the primary first. */
  list() {
    return this.keys.map((k) => k.toString("base64"));
  }

  /** Serf's writeKeyringFile: json.MarshalIndent(keys, "", "  "), 0600. */
  save() {
    if (!this.file) return;
    try {
      fs.writeFileSync(this.file, JSON.stringify(this.list(), null, 2), { mode: 0o600 });
    } catch (e) {
      throw new Error(`Failed to write keyring file: ${e.message}`);
    }
  }

  /**
   * One member's answer to a key query (serf handleInstallKey/UseKey/RemoveKey/ListKeys): {Result, Message, Keys,
   * PrimaryKey}; `key` is the raw key (bytes) the query carries.
   */
  answer(op, key, log) {
    if (!this.enabled) {
      const msg =
        op === "list"
          ? "Keyring is empty (encryption not enabled)"
          : "No keyring to modify (encryption not enabled)";
      log("ERROR", "serf", msg);
      return { Result: false, Message: msg };
    }
    if (op === "list") {
      log("INFO", "serf", "Received list-keys query");
      return { Result: true, Message: "", Keys: this.list(), PrimaryKey: this.keys[0].toString("base64") };
    }
    log("INFO", "serf", `Received ${op}-key query`);
    const fail = {
      install: "Failed to install key",
      use: "Failed to change primary key",
      remove: "Failed to remove key",
    };
    try {
      this[op](key);
    } catch (e) {
      log("ERROR", "serf", `${fail[op]}: ${e.message}`);
      return { Result: false, Message: e.message };
    }
    try {
      this.save();
    } catch (e) {
      log("ERROR", "serf", `Failed to write keyring file: ${e.message}`);
      return { Result: false, Message: e.message };
    }
    return { Result: true, Message: "" };
  }

  /** memberlist AddKey: a valid size, a no-op when installed. */
  install(key) {
    if (![16, 24, 32].includes(key.length)) throw new Error("key size must be 16, 24 or 32 bytes");
    if (!this.keys.some((k) => k.equals(key))) this.keys.push(key);
  }

  /** memberlist UseKey: an installed key becomes the primary (moved first). */
  use(key) {
    const i = this.keys.findIndex((k) => k.equals(key));
    if (i < 0) throw new Error("requested key is not in the keyring");
    this.keys = [this.keys[i], ...this.keys.filter((_, j) => j !== i)];
  }

  /** memberlist RemoveKey: never the primary; a key not installed is a no-op. */
  remove(key) {
    if (key.equals(this.keys[0])) throw new Error("removing the primary key is not allowed");
    this.keys = this.keys.filter((k) => !k.equals(key));
  }
}

/**
 * Serf's KeyManager.handleKeyRequest: the query goes to every alive member (`ask(member)` answers or throws), the
 * answers are counted. Returns {resp, error}: Nomad's HTTP handler returns `error` alone (a 500 with its text).
 */
export async function keyQuery(members, ask) {
  const resp = { Messages: {}, Keys: {}, NumNodes: members.length, NumResp: 0, NumErr: 0, PrimaryKeys: {} };
  const answers = await Promise.allSettled(members.map((m) => ask(m)));
  answers.forEach((a, i) => {
    if (a.status !== "fulfilled") return; // no answer before the query's timeout
    const r = a.value;
    const from = members[i].name;
    resp.NumResp++;
    if (!r.Result) {
      resp.Messages[from] = r.Message;
      resp.NumErr++;
    } else if (r.Message) resp.Messages[from] = r.Message;
    for (const k of r.Keys ?? []) resp.Keys[k] = (resp.Keys[k] ?? 0) + 1;
    if (r.PrimaryKey !== undefined)
      resp.PrimaryKeys[r.PrimaryKey] = (resp.PrimaryKeys[r.PrimaryKey] ?? 0) + 1;
  });
  if (resp.NumErr !== 0) return { resp, error: `${resp.NumErr}/${resp.NumNodes} nodes reported failure` };
  if (resp.NumResp !== resp.NumNodes)
    return { resp, error: `${resp.NumResp}/${resp.NumNodes} nodes reported success` };
  return { resp };
}
