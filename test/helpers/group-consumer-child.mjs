// A kafkajs consumer in its own process, for tests that kill a group member without a
// LeaveGroup (SIGKILL): node group-consumer-child.mjs <port> <groupId> <topic>
// Prints one JSON line per event: {"joined":…} after each join, {"message":…} per record.
import kafkajs from 'kafkajs';

const [port, groupId, topic] = process.argv.slice(2);
const { Kafka, logLevel } = kafkajs;
const kafka = new Kafka({ clientId: 'child', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 300, rebalanceTimeout: 10000, maxWaitTimeInMs: 100 });
consumer.on(consumer.events.GROUP_JOIN, (e) => console.log(JSON.stringify({ joined: e.payload.memberId })));
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => console.log(JSON.stringify({ message: [partition, message.offset] })),
});
