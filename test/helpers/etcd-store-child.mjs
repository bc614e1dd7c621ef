// A broker's metadata store in a process of its own, so a test can SIGKILL it (a crash: the
// lease is neither revoked nor kept alive). Uses dist/ (built by the vitest globalSetup).
// argv: <etcd endpoint> <prefix> <broker id> <session timeout ms>; prints "registered" when
// its registration is stored, "controller <epoch>" if it is elected, then runs until killed.
import { EtcdMetadataStore } from '../../dist/cluster/etcd-store.js';

const [endpoint, prefix, brokerId, sessionTimeoutMs] = process.argv.slice(2);
const id = Number(brokerId);
const store = new EtcdMetadataStore({ endpoints: [endpoint], prefix, brokerId: id, sessionTimeoutMs: Number(sessionTimeoutMs), requestTimeoutMs: 2000 });
store.onSession((e) => {
  if (e.kind === 'elected') console.log(`controller ${e.controller.epoch}`);
});
await store.start();
await store.register({ brokerId: id, endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + id, securityProtocol: 'PLAINTEXT' }], rack: null });
console.log('registered');
if (process.argv.includes('--campaign')) store.campaign();
setInterval(() => {}, 1 << 30);
