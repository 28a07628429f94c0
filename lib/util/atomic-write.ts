// The one way the library writes a file (a saved model, a checkpoint, a report): the bytes go to
// a temporary file in the same folder, are synced, and the temporary file is renamed over the
// target, so a reader sees the old file or the new one, never a part. A process killed between
// writing and renaming leaves its temporary file; the next write to the same path removes it.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `.name.<pid>.<random>.tmp` beside `file`: the pid tells whether its writer still runs. */
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The temporary files that earlier writes to `file` left behind when their process was killed.
 * Only those of processes that no longer run: a write in flight, here or elsewhere, keeps its file.
 */
function staleTemps(file: string, names: readonly string[]): string[] {
  const prefix = `.${path.basename(file)}.`;
  return names
    .filter((name) => {
      const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-z]+\.tmp$/.exec(name.slice(prefix.length)) : null;
      if (!m) return false;
      const pid = Number(m[1]);
      return pid !== process.pid && !processAlive(pid);
    })
    .map((name) => path.join(path.dirname(file), name));
}

/** Writes `contents` to `file` atomically (see the file comment); resolves once renamed. */
export async function writeAtomic(file: string, contents: string | Uint8Array): Promise<void> {
  let names: string[] = [];
  try {
    names = await fs.promises.readdir(path.dirname(file));
  } catch {
    // No folder: the write below fails with the error that names it.
  }
  for (const stale of staleTemps(file, names)) await fs.promises.rm(stale, { force: true });
  const tmp = tempName(file);
  try {
    const h = await fs.promises.open(tmp, 'w');
    try {
      await h.writeFile(contents);
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** writeAtomic for callers that cannot await (report writing at the end of a run). */
export function writeAtomicSync(file: string, contents: string | Uint8Array): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    // No folder: the write below fails with the error that names it.
  }
  for (const stale of staleTemps(file, names)) fs.rmSync(stale, { force: true });
  const tmp = tempName(file);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, contents);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
