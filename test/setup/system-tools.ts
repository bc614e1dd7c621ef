/**
 * Vitest globalSetup: installs the Debian tools the integration tests drive (kcat, the Python
 * and Go Kafka clients, etcd) once, before any test file starts. Each test file still calls its
 * ensure… helper, which is then a quick check; installing here instead of in the files' hooks
 * keeps a first run on a fresh machine (apt-get update and the installs take minutes) from
 * running into hook timeouts while parallel files wait on the apt lock.
 * SLUICE_SKIP_SYSTEM_TOOLS=1 skips it (for runs of test files that need none of them).
 */
import { ensureEtcd, ensureGoKafkaClients, ensureKcat, ensurePythonKafkaClients } from '../helpers/system-tools.js';

export default function setup(): void {
  if (process.env.SLUICE_SKIP_SYSTEM_TOOLS === '1') return;
  ensureKcat();
  ensurePythonKafkaClients();
  ensureGoKafkaClients();
  ensureEtcd();
}
