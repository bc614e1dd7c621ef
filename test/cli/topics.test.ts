import { afterEach, describe, expect, it } from 'vitest';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { runCli } from './run-cli.js';

const brokers: FakeBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

async function fake(): Promise<{ b: FakeBroker; topics: (...args: string[]) => ReturnType<typeof runCli> }> {
  const b = await startFakeBroker();
  brokers.push(b);
  return { b, topics: (...args) => runCli(['topics', '--bootstrap-server', `127.0.0.1:${b.port}`, ...args]) };
}

describe('sluice topics', () => {
  it('creates a topic with partitions and configs', async () => {
    const { b, topics } = await fake();
    const r = await topics('--create', '--topic', 'web_log', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=86400000');
    expect(r).toMatchObject({ code: 0, stdout: 'Created topic web_log.\n', stderr: '' });
    expect(b.topics.get('web_log')!.partitions).toBe(3);
    expect(b.topics.get('web_log')!.configs.get('retention.ms')).toBe('86400000');
  });

  it('describes topics like kafka-topics.sh, with non-default configs only', async () => {
    const { b, topics } = await fake();
    const t = b.addTopic('web_log', 2, { 'retention.ms': '86400000' });
    const r = await topics('--describe', '--topic', 'web_log');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Topic: web_log\tTopicId: ${t.topicId}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=86400000\n` +
        '\tTopic: web_log\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\n' +
        '\tTopic: web_log\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0\n',
    );
  });

  it('lists topic names sorted, one per line', async () => {
    const { b, topics } = await fake();
    for (const name of ['zeta', 'alpha', 'mid']) b.addTopic(name, 1);
    expect((await topics('--list')).stdout).toBe('alpha\nmid\nzeta\n');
  });

  it('adds partitions with --alter and refuses to shrink', async () => {
    const { b, topics } = await fake();
    b.addTopic('t', 3);
    expect((await topics('--alter', '--topic', 't', '--partitions', '6')).code).toBe(0);
    expect(b.topics.get('t')!.partitions).toBe(6);
    const r = await topics('--alter', '--topic', 't', '--partitions', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('can only be increased');
  });

  it('changes configs with --alter --config and --delete-config', async () => {
    const { b, topics } = await fake();
    b.addTopic('t', 1, { 'segment.ms': '10' });
    expect((await topics('--alter', '--topic', 't', '--config', 'retention.ms=5', '--delete-config', 'segment.ms')).code).toBe(0);
    expect(Object.fromEntries(b.topics.get('t')!.configs)).toEqual({ 'retention.ms': '5' });
  });

  it('deletes a topic', async () => {
    const { b, topics } = await fake();
    b.addTopic('t', 1);
    expect((await topics('--delete', '--topic', 't')).code).toBe(0);
    expect(b.topics.has('t')).toBe(false);
  });

  it('exits non-zero with the Kafka error name when the topic already exists, unless --if-not-exists', async () => {
    const { b, topics } = await fake();
    b.addTopic('t', 1);
    const r = await topics('--create', '--topic', 't', '--partitions', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: TOPIC_ALREADY_EXISTS: create topic t (Topic 't' already exists.)\n");
    expect((await topics('--create', '--topic', 't', '--partitions', '1', '--if-not-exists')).code).toBe(0);
  });

  it('exits non-zero with UNKNOWN_TOPIC_OR_PARTITION for a missing topic, unless --if-exists', async () => {
    const { topics } = await fake();
    const described = await topics('--describe', '--topic', 'nope');
    expect(described.code).toBe(1);
    expect(described.stderr).toBe("Error: UNKNOWN_TOPIC_OR_PARTITION: topic 'nope' does not exist\n");
    const deleted = await topics('--delete', '--topic', 'nope');
    expect(deleted.code).toBe(1);
    expect(deleted.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await topics('--delete', '--topic', 'nope', '--if-exists')).code).toBe(0);
  });
});
