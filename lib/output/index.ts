// Outputs that are never half-written: every file goes to a temporary name in its folder
// and is renamed into place only when complete (rename is atomic within a file system), so
// a failed or interrupted run leaves the previous results as they were. Also the checks
// made before anything is written: an output folder that can hold regular files, inputs
// that are regular, readable files. Each failure is one line naming the path, never a raw
// Node error.
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** An input or output path cannot be used: exit status 1, nothing written. */
export class PathError extends Error {
  override name = 'PathError';
}

const FS_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  ESPIPE: 'is a pipe or a device, not a file',
};

/** A file-system error as one line: "<path>: <what happened>". */
export function fsMessage(path: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const what = (e.code && FS_CODES[e.code]) ?? e.message;
  return `${path}: ${what}`;
}

/** Runs a file-system call, turning its error into a PathError naming `path`. */
export function fsCall<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PathError) throw err;
    throw new PathError(fsMessage(path, err), { cause: err });
  }
}

/** Pseudo file systems that accept mkdir or writes but hold no results (or spin: /proc). */
const REFUSED_ROOTS = ['/proc', '/sys', '/dev'];

/** The real path of `p`, or of its nearest existing ancestor plus the rest. */
function realish(p: string): string {
  const abs = resolve(p);
  let dir = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(dir), ...rest);
    } catch {
      const up = dirname(dir);
      if (up === dir) return abs;
      rest.unshift(basename(dir));
      dir = up;
    }
  }
}

/**
 * Refuses an output folder that cannot hold our results: under /proc, /sys or /dev, or an
 * existing path that is not a directory. Touches nothing.
 */
export function checkOutDir(dir: string, flag = '--out'): void {
  const real = realish(dir);
  for (const root of REFUSED_ROOTS) {
    if (real === root || real.startsWith(root + '/')) throw new PathError(`${flag} ${dir}: under ${root}, which holds no regular files; choose another folder`);
  }
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // created when the run writes
    throw new PathError(`${flag} ${fsMessage(dir, err)}`);
  }
  if (!st.isDirectory()) throw new PathError(`${flag} ${dir}: exists and is not a folder`);
}

/** The same for an output file's path (its folder, and the file itself when it exists). */
export function checkOutFile(file: string, flag = '--out'): void {
  checkOutDir(dirname(file), flag);
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return;
  }
  if (st.isDirectory()) throw new PathError(`${flag} ${file}: is a folder, not a file`);
  if (!st.isFile() && !st.isSymbolicLink()) throw new PathError(`${flag} ${file}: exists and is not a regular file`);
}

/**
 * An input file: exists, is a regular file (not a folder, pipe or device: the readers need
 * to seek), is readable. Returns its first bytes (up to `head`) for a format check.
 */
export function checkInputFile(path: string, flag: string, head = 64): Uint8Array {
  const label = `${flag} ${path}`;
  const st = fsCall(label, () => statSync(path));
  if (st.isDirectory()) throw new PathError(`${flag} ${path}: is a folder, not a file`);
  if (!st.isFile()) throw new PathError(`${flag} ${path}: is a pipe or a device, not a file (save it to a file first)`);
  const fd = fsCall(label, () => openSync(path, 'r'));
  try {
    const buf = new Uint8Array(head);
    const n = fsCall(label, () => readSync(fd, buf, 0, head, 0));
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** What a file's first bytes say it is, when it is a compressed file rather than our format. */
export function compressedKind(head: Uint8Array): string | null {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  return null;
}

/** Writes `data` to `path` through a temporary file in the same folder, fsynced, then renamed. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tmpName(path);
  try {
    const fd = fsCall(path, () => openSync(tmp, 'w'));
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      fsCall(path, () => {
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
        fsyncSync(fd);
      });
    } finally {
      closeSync(fd);
    }
    fsCall(path, () => renameSync(tmp, path));
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
}

let seq = 0;
export const tmpName = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}.${++seq}.tmp`);

/**
 * A set of output files written under temporary names and renamed into place together by
 * commit(), or removed by discard(). discardSync-safe: usable from a signal handler.
 */
export class StagedOutputs {
  private readonly staged = new Map<string, string>();

  constructor(readonly dir: string) {
    LIVE.add(this);
  }

  /** Creates the folder (after the inputs were validated). */
  prepare(): void {
    fsCall(this.dir, () => mkdirSync(this.dir, { recursive: true }));
  }

  /** The temporary path to write `name` to. */
  path(name: string): string {
    const final = join(this.dir, name);
    let tmp = this.staged.get(final);
    if (!tmp) this.staged.set(final, (tmp = tmpName(final)));
    return tmp;
  }

  /** Renames every staged file into place (each rename atomic), fsyncing each first. */
  commit(): string[] {
    const done: string[] = [];
    for (const [final, tmp] of this.staged) {
      fsCall(final, () => {
        const fd = openSync(tmp, 'r');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, final);
      });
      done.push(final);
    }
    this.staged.clear();
    LIVE.delete(this);
    return done;
  }

  /** Removes the temporary files; the previous results stay as they were. */
  discard(): void {
    for (const tmp of this.staged.values()) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
    }
    this.staged.clear();
    LIVE.delete(this);
  }
}

const LIVE = new Set<StagedOutputs>();

/** Removes every uncommitted temporary file (a second signal, before exiting at once). */
export function discardAllStaged(): void {
  for (const s of [...LIVE]) s.discard();
}
