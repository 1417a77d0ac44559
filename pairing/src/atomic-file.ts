/**
 * Crash-safe file writes: temp file in the same directory, fsync, rename, fsync of the directory.
 * A process killed at any point leaves either the old or the new file, never a torn one.
 * (write-file-atomic's current major needs Node 22 and skips the directory fsync.)
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** `.<name>.<pid>.<8 hex>.tmp`: hidden, unique per write, and recognisable by `removeLeftoverTempFiles`. */
const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * `durable: false` skips both fsyncs: the file survives the process dying, but after a power loss it
 * may be the previous version, or (on some filesystems) empty. For files that can be rebuilt.
 */
export interface AtomicWriteOptions {
  durable?: boolean;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600, options: AtomicWriteOptions = {}): Promise<void> {
  const durable = options.durable ?? true;
  const dir = dirname(path);
  const tmp = tempPathFor(path);
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(tmp, path);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  if (durable) await fsyncDirectory(dir);
}

export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode, options);
}

/**
 * Deletes the temp files that writes killed midway left in `dir` (a SIGKILL between open and rename).
 * Only for a directory one process owns, when it opens it: it cannot tell a dead writer's temp file
 * from a live one's. Returns the names removed.
 */
export function removeLeftoverTempFiles(dir: string): string[] {
  const leftovers = readdirSync(dir).filter((name) => TEMP_NAME.test(name));
  for (const name of leftovers) rmSync(join(dir, name), { force: true });
  return leftovers;
}

/**
 * Proves that `dir` takes writes now: creates a small temp file, fsyncs and deletes it, exactly as an
 * atomic write would (a full disk, a read-only remount or a deleted directory fail here). Throws the
 * file system's error.
 */
export async function probeWritable(dir: string): Promise<void> {
  const probe = tempPathFor(join(dir, 'ready-probe'));
  const handle = await fs.open(probe, 'wx', 0o600);
  try {
    await handle.writeFile(`${Date.now()}\n`);
    await handle.sync();
  } finally {
    await handle.close();
    await fs.rm(probe, { force: true });
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** Creates a private directory (0700). An existing directory keeps its mode: it may be one the user chose, like /tmp. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Reads and parses a JSON file; undefined when it does not exist. Throws on unreadable or bad JSON. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text);
}
