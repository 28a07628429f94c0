// The machine and package a run was measured on, recorded with every result.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MachineInfo } from './results';

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown CPU',
    cpus: cpus.length,
    node: process.versions.node,
  };
}

/** The package's version, recorded with every run so shards of different versions do not merge. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}
