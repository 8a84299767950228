import fs from "node:fs";
import util from "node:util";

const { promisify } = util;

// Promise forms of the few fs calls the agent makes, over the callback API: node:fs/promises (FileHandle and the
// streams behind it) costs about 2 MB resident more, measured on Node 24 (README, np-agent footprint).

/** fs.readFile as a promise (utf8 text). */
export const readText = (file: string): Promise<string> => promisify(fs.readFile)(file, "utf8");
/** fs.readdir as a promise. */
export const readdir = (dir: string): Promise<string[]> => promisify(fs.readdir)(dir);
/** fs.stat as a promise. */
export const stat = promisify(fs.stat);
/** fs.statfs as a promise. */
export const statfs = (p: string): Promise<fs.StatsFs> => promisify(fs.statfs)(p);
/** fs.unlink as a promise. */
export const unlink = promisify(fs.unlink);
/** fs.rename as a promise. */
export const rename = promisify(fs.rename);
/** fs.mkdir -p as a promise. */
export const mkdirp = (dir: string, mode: number): Promise<unknown> =>
  promisify(fs.mkdir)(dir, { recursive: true, mode });

const openP = promisify(fs.open);
const closeP = promisify(fs.close);
const fstatP = promisify(fs.fstat);
const fsyncP = promisify(fs.fsync);
const writeFileP = promisify(fs.writeFile);

/** An open file descriptor with the operations the agent needs (a small stand-in for FileHandle). */
export class OpenFile {
  private constructor(readonly fd: number) {}

  /** Opens a file ("r", "w"...). */
  static async open(file: string, flags: string, mode?: number): Promise<OpenFile> {
    return new OpenFile(await openP(file, flags, mode));
  }

  stat(): Promise<fs.Stats> {
    return fstatP(this.fd);
  }

  /** Reads up to `length` bytes at `position` into buf; resolves with the count read. */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return new Promise((resolve, reject) =>
      fs.read(this.fd, buf, offset, length, position, (err, bytesRead) =>
        err ? reject(err) : resolve({ bytesRead }),
      ),
    );
  }

  writeFile(data: string | Buffer): Promise<void> {
    return writeFileP(this.fd, data);
  }

  sync(): Promise<void> {
    return fsyncP(this.fd);
  }

  close(): Promise<void> {
    return closeP(this.fd);
  }
}
