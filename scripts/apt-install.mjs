// Installs Debian packages for a script that needs a system tool (clang for the fuzzers,
// clang-format for the format check), as root or through passwordless sudo. Several scripts and
// the test setup may install at once: they take turns on one lock file.
import { spawnSync } from 'node:child_process';

/** True when `cmd` is on PATH. */
export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** apt-get update + install of `packages`; throws with the command that failed. `who` prefixes the log lines. */
export function aptInstall(packages, who, what = packages.join(' ')) {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!asRoot && !have('sudo')) throw new Error(`${what} is missing and this user cannot run apt-get: install ${packages.join(' ')}`);
  const prefix = asRoot ? [] : ['sudo', '-n'];
  const serialize = have('flock') ? ['flock', '/tmp/sluice-apt.lock'] : [];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const cmd of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages],
  ]) {
    const argv = [...prefix, ...serialize, ...cmd];
    console.log(`${who}: $ ${argv.join(' ')}`);
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed`);
  }
}
