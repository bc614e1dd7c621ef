// An application embedding sluice, for restart tests (runs the built package from dist/):
//   node embedded-child.mjs <dir> <produceCount> <stopAfter> <kill|close>
// Produces <produceCount> records to topic 'restart' (one partition), then consumes group
// 'restart' committing each record's offset after handling it, printing {"offset":n} per
// record. After <stopAfter> records it either SIGKILLs itself (no close, no flush) or closes
// cleanly and exits 0.
import { Sluice } from '../../dist/index.js';

const [dir, produceCount, stopAfter, how] = process.argv.slice(2);
const sluice = await Sluice.open({ dir, 'offsets.topic.num.partitions': 1 });
const admin = sluice.admin();
await admin.createTopics({ topics: [{ topic: 'restart', numPartitions: 1 }] });
if (Number(produceCount) > 0) {
  const producer = sluice.producer();
  await producer.send({ topic: 'restart', messages: Array.from({ length: Number(produceCount) }, (_, i) => ({ value: `m${i}` })) });
}
// The killed run's member stays in the group until its session times out (as in Kafka).
const consumer = sluice.consumer({ groupId: 'restart', heartbeatInterval: 100, sessionTimeout: 6000 });
await consumer.subscribe({ topic: 'restart', fromBeginning: true });
let handled = 0;
let stopping = false;
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    if (stopping) return;
    console.log(JSON.stringify({ offset: String(message.offset), value: message.value.toString() }));
    await consumer.commitOffsets([{ topic: 'restart', partition, offset: message.offset + 1n }]);
    if (++handled < Number(stopAfter)) return;
    stopping = true;
    if (how === 'kill') process.kill(process.pid, 'SIGKILL');
    setImmediate(async () => {
      await sluice.close();
      process.exit(0);
    });
  },
});
