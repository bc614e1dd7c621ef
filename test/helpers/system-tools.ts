/**
 * Third-party tools the integration tests drive, installed on demand so `npm test` passes on
 * a fresh machine by itself, all from Debian's archive: kcat (librdkafka), the Python clients
 * (kafka-python, confluent-kafka), the Go ones (sarama, kafka-go, with the Go toolchain) and
 * etcd (the cluster metadata store).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

let aptUpdated = false;

/** Installs Debian packages when `cmd` is missing (root, or passwordless sudo). */
export function ensureDebianTool(cmd: string, packages: string[]): void {
  ensureDebianPackages(cmd, () => have(cmd), packages);
}

/** Installs Debian `packages` unless `present()` already holds; `what` names them in errors. */
export function ensureDebianPackages(what: string, present: () => boolean, packages: string[]): void {
  if (present()) return;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  if (!asRoot && !have('sudo')) throw new Error(`${what} is not installed and this user cannot run apt-get: install ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Test files run in parallel processes and may install at once: take turns on a lock file.
  const serialize = have('flock') ? ['flock', '/tmp/sluice-apt.lock'] : [];
  const run = (args: string[]) => {
    const argv = [...prefix, ...serialize, ...args];
    execFileSync(argv[0]!, argv.slice(1), { stdio: 'inherit', env });
  };
  if (!aptUpdated) {
    run(['apt-get', 'update', '-qq']);
    aptUpdated = true;
  }
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
  if (!present()) throw new Error(`installing ${packages.join(' ')} did not provide ${what}`);
}

export function ensureKcat(): string {
  ensureDebianTool('kcat', ['kcat']);
  return 'kcat';
}

/** etcd 3.4 (Debian's etcd-server) for the cluster metadata tests (test/helpers/etcd.ts). */
export function ensureEtcd(): string {
  ensureDebianTool('etcd', ['etcd-server']);
  return 'etcd';
}

/** Debian's Python interpreter: a `python3` earlier on PATH (pyenv) lacks Debian's dist-packages. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * kafka-python 2.0 and confluent-kafka 1.7 for Debian's python3, with the codec modules
 * kafka-python needs for snappy, lz4 (xxhash: magic 0 lz4 frames) and zstd.
 */
export function ensurePythonKafkaClients(): string {
  const imports = 'import kafka, confluent_kafka, snappy, lz4.frame, zstandard, xxhash';
  ensureDebianPackages('python3-kafka / python3-confluent-kafka', () => spawnSync(DEBIAN_PYTHON, ['-c', imports], { stdio: 'ignore' }).status === 0, [
    'python3-kafka',
    'python3-confluent-kafka',
    'python3-snappy',
    'python3-lz4',
    'python3-zstandard',
    'python3-xxhash',
  ]);
  return DEBIAN_PYTHON;
}

/** Where Debian's Go library packages put their sources (GOPATH layout). */
export const DEBIAN_GOPATH = '/usr/share/gocode';

/**
 * The Go toolchain with sarama 1.22 and kafka-go 0.2 from Debian (built in GOPATH mode against
 * /usr/share/gocode); sarama's zstd goes through cgo and libzstd.
 */
export function ensureGoKafkaClients(): void {
  ensureDebianPackages(
    'go, sarama and kafka-go',
    () =>
      have('go') &&
      have('gcc') &&
      existsSync(`${DEBIAN_GOPATH}/src/github.com/Shopify/sarama`) &&
      existsSync(`${DEBIAN_GOPATH}/src/github.com/segmentio/kafka-go`),
    ['golang-go', 'golang-github-shopify-sarama-dev', 'golang-github-segmentio-kafka-go-dev', 'gcc', 'libc6-dev', 'pkg-config', 'libzstd-dev'],
  );
}
