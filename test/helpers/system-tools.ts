/**
 * Third-party tools the integration tests drive, installed on demand so `npm test` passes on
 * a fresh machine by itself: kcat (librdkafka) comes from Debian's archive.
 */
import { execFileSync, spawnSync } from 'node:child_process';

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

let aptUpdated = false;

/** Installs Debian packages when `cmd` is missing (root, or passwordless sudo). */
export function ensureDebianTool(cmd: string, packages: string[]): void {
  if (have(cmd)) return;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  if (!asRoot && !have('sudo')) throw new Error(`${cmd} is not installed and this user cannot run apt-get: install ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) => execFileSync(prefix.length ? prefix[0]! : args[0]!, prefix.length ? [...prefix.slice(1), ...args] : args.slice(1), { stdio: 'inherit', env });
  if (!aptUpdated) {
    run(['apt-get', 'update', '-qq']);
    aptUpdated = true;
  }
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
  if (!have(cmd)) throw new Error(`installing ${packages.join(' ')} did not provide ${cmd}`);
}

export function ensureKcat(): string {
  ensureDebianTool('kcat', ['kcat']);
  return 'kcat';
}
