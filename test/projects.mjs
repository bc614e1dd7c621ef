// Which vitest project each test file belongs to: vitest.config.ts splits the suite by these
// lists, and eslint.config.js keeps a unit test from importing what only integration tests may.
//
// unit: no child process, no socket, no system tool — the fast loop, `npm run test:unit`.
// integration: everything else — real clients against `sluice serve`, the CLI, the packed
// package, SIGKILL crash tests, fake brokers on loopback sockets. Its globalSetup builds dist/
// and installs the Debian tools (test/setup/*). `npm test` runs both.
//
// A test file is a unit test unless it matches INTEGRATION_TESTS: add it here when it starts a
// process or opens a socket (npm run lint says so when a unit test imports such a module).

export const INTEGRATION_TESTS = [
  'test/integration/**/*.test.ts', // real clients (kcat, kafkajs, Python, Go) against sluice serve
  // test/integration/cluster/: the cluster metadata store against a real etcd (test/helpers/etcd.ts)
  'test/cli/**/*.test.ts', // the CLI as a child process, or against a fake broker on a socket
  'test/package/**/*.test.ts', // npm pack + install into a scratch project
  'test/client/sluice.test.ts', // Sluice.listen(): kafkajs over loopback
  'test/client/connect.test.ts', // connect() to sluice serve
  'test/client/examples.test.ts', // runs examples/*.mjs with node
  'test/client/cluster-client.test.ts', // a fake broker on a socket
  'test/client/network-group-membership.test.ts', // a fake broker on a socket
  'test/client/producer-ordering.test.ts', // a proxy socket that cuts Produce connections
  'test/client/txn-client.test.ts', // a fake transaction coordinator on a socket
  'test/client/transactions-serve.test.ts', // connect() to sluice serve
  'test/server/connection.test.ts', // real sockets into a Connection
  'test/server/connection-memory.test.ts', // real sockets into a Connection
  'test/broker/idempotence.test.ts', // a producer process killed mid-stream
  'test/broker/transactions-crash.test.ts', // a broker process killed with a transaction open
  'test/storage/crash.test.ts', // SIGKILL crash tests
  'test/storage/append-faults.test.ts', // a writer process killed mid-append
  'test/storage/recovery-point.test.ts', // a writer process killed before the checkpoint
  'test/native/allocator-tuning.test.ts', // child Node processes with malloc settings
];

export const ALL_TESTS = ['test/**/*.test.ts'];

// What a unit test may not import (eslint.config.js, no-restricted-imports): modules that start
// a process, open a socket or need a system tool, and real clients that need a broker on the
// network; then the test helpers (test/helpers/<name>.ts) that do the same.
export const INTEGRATION_ONLY_MODULES = [
  'node:child_process',
  'node:net',
  'node:tls',
  'node:dgram',
  'child_process',
  'net',
  'tls',
  'dgram',
  'kafkajs',
  '@platformatic/kafka',
];
export const INTEGRATION_ONLY_HELPERS = [
  'broker-process',
  'fake-broker',
  'frame-client',
  'run-process',
  'system-tools',
  'kcat',
  'client-programs',
  'embedded-child',
  'group-consumer-child',
  'txn-clients',
  'etcd',
];
