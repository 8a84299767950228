// OpenObserve TEST DOUBLE: what the double keeps in ZO_DATA_DIR, so a restart keeps users and records.
// The real binary keeps metadata in SQLite (<data>/db/) and records in WAL + parquet (<data>/wal/, <data>/stream/);
// the double keeps its own simple files under <data>/np-double/ (the layout is the double's, not OpenObserve's):
//   users.json                               every user with salt, password hash and per-org role and tokens
//   streams/<org>/<type>/<stream>.ndjson     one stored (flattened, timestamped) record per line, in ingest order
import fs from "node:fs";
import path from "node:path";

export class Store {
  /** Opens (creating if needed) the double's files under `dataDir`. */
  constructor(dataDir) {
    this.root = path.join(dataDir, "np-double");
    fs.mkdirSync(path.join(this.root, "streams"), { recursive: true });
    this.usersFile = path.join(this.root, "users.json");
    this.users = fs.existsSync(this.usersFile) ? JSON.parse(fs.readFileSync(this.usersFile, "utf8")) : [];
    /** @type {Map<string, {org: string, type: string, name: string, createdAt: number, records: object[]}>} */
    this.streams = new Map();
    this.loadStreams();
  }

  loadStreams() {
    const base = path.join(this.root, "streams");
    for (const org of fs.readdirSync(base)) {
      for (const type of fs.readdirSync(path.join(base, org))) {
        for (const file of fs.readdirSync(path.join(base, org, type))) {
          if (!file.endsWith(".ndjson")) continue;
          const full = path.join(base, org, type, file);
          const text = fs.readFileSync(full, "utf8");
          // A torn last line (crash mid-append) is dropped, as a WAL replay would drop a torn entry.
          const records = [];
          for (const line of text.split("\n")) {
            if (!line) continue;
            try {
              records.push(JSON.parse(line));
            } catch {}
          }
          const name = file.slice(0, -".ndjson".length);
          const createdAt = Math.floor(fs.statSync(full).birthtimeMs * 1000) || Date.now() * 1000;
          this.streams.set(key(org, type, name), { org, type, name, createdAt, records });
        }
      }
    }
  }

  saveUsers() {
    const tmp = `${this.usersFile}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.users, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.usersFile);
  }

  /** The user with this email, or undefined. */
  user(email) {
    return this.users.find((u) => u.email === email);
  }

  addUser(user) {
    this.users.push(user);
    this.saveUsers();
  }

  /** Appends records to a stream (created on first use), durably, before the request is answered. */
  append(org, type, name, records) {
    if (records.length === 0) return;
    const k = key(org, type, name);
    let stream = this.streams.get(k);
    if (!stream) {
      stream = { org, type, name, createdAt: Date.now() * 1000, records: [] };
      this.streams.set(k, stream);
      fs.mkdirSync(path.join(this.root, "streams", org, type), { recursive: true });
    }
    fs.appendFileSync(
      this.streamFile(org, type, name),
      records.map((r) => `${JSON.stringify(r)}\n`).join(""),
    );
    stream.records.push(...records);
  }

  stream(org, type, name) {
    return this.streams.get(key(org, type, name));
  }

  streamsOf(org, type) {
    return [...this.streams.values()].filter((s) => s.org === org && (type === undefined || s.type === type));
  }

  streamFile(org, type, name) {
    return path.join(this.root, "streams", org, type, `${name}.ndjson`);
  }
}

const key = (org, type, name) => `${org}/${type}/${name}`;
