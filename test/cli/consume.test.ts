import { afterEach, describe, expect, it } from 'vitest';
import { formatRecord } from '../../src/cli/consume.js';
import type { FetchedRecord } from '../../src/client/fetched-records.js';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { fakeGroupHandlers, fakeGroupState, fakeMembership, type FakeGroupState, type FakeMembership } from '../helpers/fake-groups.js';
import { produceTo, runCli } from './run-cli.js';

const brokers: FakeBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

/** A fake broker with topic `t` whose partitions hold the given values (keys k<value>, created at 1700000000000 + i). */
async function brokerWith(partitions: string[][]): Promise<FakeBroker> {
  const b = await startFakeBroker();
  brokers.push(b);
  b.addTopic('t', partitions.length);
  for (const [p, values] of partitions.entries()) {
    await produceTo(
      b.port,
      't',
      p,
      values.map((v, i) => ({ key: `k${v}`, value: v, timestamp: 1700000000000 + i, ...(i === 0 ? { headers: { h1: 'v1', h2: 'v2' } } : {}) })),
    );
  }
  return b;
}

const record = (over: Partial<FetchedRecord> = {}): FetchedRecord => ({
  offset: 5n,
  timestamp: 1700000000000,
  timestampType: 'CreateTime',
  key: Buffer.from('key'),
  value: Buffer.from('value'),
  headers: [
    { key: 'h1', value: Buffer.from('v1') },
    { key: 'h2', value: Buffer.from('v2') },
  ],
  ...over,
});

describe('record formatting', () => {
  it('prints only the value by default', () => {
    expect(formatRecord(record(), 0, { keySeparator: '\t' }).toString()).toBe('value\n');
  });

  it("orders fields as kafka-console-consumer's DefaultMessageFormatter: timestamp, partition, offset, headers, key, value", () => {
    const all = { printTimestamp: true, printPartition: true, printOffset: true, printHeaders: true, printKey: true, keySeparator: '\t' };
    expect(formatRecord(record(), 2, all).toString()).toBe('CreateTime:1700000000000\tPartition:2\tOffset:5\th1:v1,h2:v2\tkey\tvalue\n');
  });

  it('prints null for a null key or value, NO_HEADERS without headers and NO_TIMESTAMP for magic 0', () => {
    const r = record({ key: null, value: null, headers: [], timestampType: 'NoTimestamp', timestamp: -1 });
    expect(formatRecord(r, 0, { printTimestamp: true, printHeaders: true, printKey: true, keySeparator: ' | ' }).toString()).toBe(
      'NO_TIMESTAMP | NO_HEADERS | null | null\n',
    );
  });

  it('labels log-append-time timestamps as LogAppendTime', () => {
    expect(formatRecord(record({ timestampType: 'LogAppendTime' }), 0, { printTimestamp: true, keySeparator: ',' }).toString()).toBe(
      'LogAppendTime:1700000000000,value\n',
    );
  });
});

describe('sluice consume', () => {
  it('reads every partition from the beginning and stops after --max-messages', async () => {
    const b = await brokerWith([
      ['a0', 'a1', 'a2'],
      ['b0', 'b1'],
    ]);
    const r = await runCli(['consume', '--topic', 't', '--from-beginning', '--max-messages', '5', '--bootstrap-server', `127.0.0.1:${b.port}`]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
    expect(r.stderr).toBe('Processed a total of 5 messages\n');
  });

  it('starts at --offset on one --partition and prints timestamp, headers and key when asked', async () => {
    const b = await brokerWith([['x0', 'x1', 'x2']]);
    const r = await runCli([
      'consume',
      '--topic',
      't',
      '--partition',
      '0',
      '--offset',
      '0',
      '--max-messages',
      '2',
      '--print-timestamp',
      '--print-headers',
      '--print-key',
      '--bootstrap-server',
      `127.0.0.1:${b.port}`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('CreateTime:1700000000000\th1:v1,h2:v2\tkx0\tx0\nCreateTime:1700000000001\tNO_HEADERS\tkx1\tx1\n');
  });

  it('skips records before a numeric --offset inside the first fetched batch', async () => {
    const b = await brokerWith([['x0', 'x1', 'x2']]);
    const r = await runCli([
      'consume',
      '--topic',
      't',
      '--partition',
      '0',
      '--offset',
      '2',
      '--max-messages',
      '1',
      '--bootstrap-server',
      `127.0.0.1:${b.port}`,
    ]);
    expect(r.stdout).toBe('x2\n');
  });

  it('exits 0 after --timeout-ms without new records, having printed what there was', async () => {
    const b = await brokerWith([['only']]);
    const r = await runCli(['consume', '--topic', 't', '--from-beginning', '--timeout-ms', '300', '--bootstrap-server', `127.0.0.1:${b.port}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('only\n');
    expect(r.stderr).toBe('Processed a total of 1 messages\n');
  });

  it('starts at the end by default, so existing records are not printed', async () => {
    const b = await brokerWith([['old']]);
    const r = await runCli(['consume', '--topic', 't', '--timeout-ms', '200', '--bootstrap-server', `127.0.0.1:${b.port}`]);
    expect(r.stdout).toBe('');
  });

  it('stops cleanly when aborted (SIGINT)', async () => {
    const b = await brokerWith([['a']]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await runCli(['consume', '--topic', 't', '--bootstrap-server', `127.0.0.1:${b.port}`], { signal: controller.signal });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Processed a total of 0 messages\n');
  });

  it('fails with OFFSET_OUT_OF_RANGE for an explicit offset past the end', async () => {
    const b = await brokerWith([['a']]);
    const r = await runCli(['consume', '--topic', 't', '--partition', '0', '--offset', '99', '--bootstrap-server', `127.0.0.1:${b.port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: OFFSET_OUT_OF_RANGE: offset 99 of t-0 is out of range');
  });

  it('refuses --group together with --partition or --offset, as kafka-console-consumer does', async () => {
    const b = await brokerWith([['a']]);
    const r = await runCli(['consume', '--topic', 't', '--group', 'g1', '--partition', '0', '--bootstrap-server', `127.0.0.1:${b.port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('options group and partition cannot be specified together');
    expect(b.requests.some((q) => q.apiKey === 11)).toBe(false);
  });
});

describe('sluice consume --group', () => {
  /** A fake broker with group APIs whose topic `t` holds the given values per partition. */
  async function groupBroker(partitions: string[][]): Promise<{ b: FakeBroker; groups: FakeGroupState; membership: FakeMembership }> {
    const groups = fakeGroupState();
    const membership = fakeMembership(1);
    const b = await startFakeBroker({ handlers: (broker) => [...fakeGroupHandlers(groups)(broker), ...membership.handlers(broker)] });
    brokers.push(b);
    b.addTopic('t', partitions.length);
    for (const [p, values] of partitions.entries())
      await produceTo(
        b.port,
        't',
        p,
        values.map((v) => ({ value: v })),
      );
    return { b, groups, membership };
  }

  it('joins the group, reads its assigned partitions, commits where it stopped and leaves', async () => {
    const { b, groups, membership } = await groupBroker([
      ['a0', 'a1', 'a2'],
      ['b0', 'b1'],
    ]);
    const r = await runCli([
      'consume',
      '--topic',
      't',
      '--group',
      'g1',
      '--from-beginning',
      '--max-messages',
      '5',
      '--bootstrap-server',
      `127.0.0.1:${b.port}`,
    ]);
    expect(r.stderr).toBe('Processed a total of 5 messages\n');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
    expect(membership.syncs).toHaveLength(1);
    expect(groups.commits.at(-1)).toEqual({
      groupId: 'g1',
      generationId: 1,
      memberId: 'member-1',
      offsets: [
        { topic: 't', partition: 0, offset: 3n },
        { topic: 't', partition: 1, offset: 2n },
      ],
    });
    expect(membership.left).toEqual(['member-1']);
  });

  it("resumes from the group's committed offsets rather than --from-beginning", async () => {
    const { b, groups } = await groupBroker([
      ['a0', 'a1', 'a2'],
      ['b0', 'b1'],
    ]);
    groups.addGroup({
      groupId: 'g1',
      offsets: new Map([
        ['t:0', 2n],
        ['t:1', 2n],
      ]),
    });
    const r = await runCli([
      'consume',
      '--topic',
      't',
      '--group',
      'g1',
      '--from-beginning',
      '--max-messages',
      '1',
      '--bootstrap-server',
      `127.0.0.1:${b.port}`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a2\n');
  });
});
