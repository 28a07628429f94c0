// Finds and loads the native addon: a prebuilt binary for this platform first, then the local
// build. When nothing loads, the error lists every path tried, why each failed, and the fix.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Binding } from '../binding';

const ROOT = path.resolve(__dirname, '..');

function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const report = (process.report?.getReport() ?? {}) as { header?: { glibcVersionRuntime?: string } };
  return !report.header?.glibcVersionRuntime;
}

/** The prebuild folder name for this process: `<platform>-<arch>`, `linux-x64-musl` on Alpine. */
export function platformTag(): string {
  return `${process.platform}-${process.arch}${isMusl() ? '-musl' : ''}`;
}

export function candidatePaths(): string[] {
  return [
    path.join(ROOT, 'prebuilds', platformTag(), 'gatedrnn.node'),
    path.join(ROOT, 'build', 'Release', 'gatedrnn.node'),
    path.join(ROOT, 'build', 'Debug', 'gatedrnn.node'),
  ];
}

function load(): Binding {
  // GATEDRNN_ADDON names one binary to load instead (e.g. a CUDA build in build-cuda/).
  const explicit = process.env.GATEDRNN_ADDON;
  if (explicit) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(path.resolve(explicit)) as Binding;
    } catch (err) {
      throw new Error(
        `gatedrnn: could not load the native addon that GATEDRNN_ADDON names (${explicit}): ${(err as Error).message.split('\n')[0]}`,
      );
    }
  }
  const tried: string[] = [];
  for (const file of candidatePaths()) {
    if (!fs.existsSync(file)) {
      tried.push(`  ${file}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as Binding;
    } catch (err) {
      tried.push(`  ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const hint = isMusl()
    ? 'This looks like a musl libc system (e.g. Alpine): build from source with `npm rebuild gatedrnn` (needs cmake, g++ and make).'
    : 'Build it with `npm rebuild gatedrnn` (needs cmake >= 3.15 and a C++17 compiler: g++ or clang). ' +
      'If a binary was found but failed to load, the platform or CPU may not match the prebuild.';
  throw new Error(
    `gatedrnn: could not load the native addon for ${platformTag()} (node ${process.version}). Tried:\n${tried.join('\n')}\n${hint}`,
  );
}

let cached: Binding | undefined;

/** The addon, loaded on first use. */
export function binding(): Binding {
  if (!cached) cached = load();
  return cached;
}
