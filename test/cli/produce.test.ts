import { afterEach, describe, expect, it } from 'vitest';
import { parseHeaderOption, parseLine } from '../../src/cli/produce.js';
import { decodeRecordBatchHeader, decodeRecords } from '../../src/records/index.js';
import { partitionForKey } from '../../src/client/murmur2.js';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { runCli } from './run-cli.js';

const brokers: FakeBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

async function fake(): Promise<FakeBroker> {
  const b = await startFakeBroker();
  brokers.push(b);
  return b;
}

describe('line parsing', () => {
  it('uses the whole line as the value and no key without a separator', () => {
    const { key, value } = parseLine('this is a test log', undefined, 1);
    expect(key).toBeNull();
    expect(value.toString()).toBe('this is a test log');
  });

  it('splits at the first separator only, as kafka-console-producer parse.key does', () => {
    const { key, value } = parseLine('user1:clicked:twice', ':', 1);
    expect(key!.toString()).toBe('user1');
    expect(value.toString()).toBe('clicked:twice');
  });

  it('accepts a multi-character separator and empty keys or values', () => {
    expect(parseLine('k::=v', '::=', 1).value.toString()).toBe('v');
    expect(parseLine(':v', ':', 1).key!.length).toBe(0);
    expect(parseLine('k:', ':', 1).value.length).toBe(0);
  });

  it('rejects a line without the separator, naming the line number', () => {
    expect(() => parseLine('no separator here', ':', 7)).toThrow("No key separator found on line number 7: 'no separator here'");
  });

  it('keeps UTF-8 text intact', () => {
    const { key, value } = parseLine('clé→valeur ✓', '→', 1);
    expect(key!.toString()).toBe('clé');
    expect(value.toString()).toBe('valeur ✓');
  });

  it('parses --header key=value at the first =', () => {
    expect(parseHeaderOption('trace=a=b')).toEqual({ key: 'trace', value: 'a=b' });
    expect(parseHeaderOption('empty=')).toEqual({ key: 'empty', value: '' });
    expect(() => parseHeaderOption('=v')).toThrow('expected key=value');
  });
});

describe('sluice produce', () => {
  it('sends each stdin line as one record and prints nothing', async () => {
    const b = await fake();
    b.addTopic('web_log', 1);
    const r = await runCli(['produce', '--topic', 'web_log', '--bootstrap-server', `127.0.0.1:${b.port}`], { stdin: 'this is a test log\nsecond line\n' });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const records = b.produced.flatMap((p) => decodeRecords(p.records, 0));
    expect(records.map((x) => [x.key, x.value?.toString()])).toEqual([
      [null, 'this is a test log'],
      [null, 'second line'],
    ]);
    expect(b.produced.every((p) => p.acks === -1)).toBe(true);
  });

  it('partitions keyed lines by murmur2 and adds --header to every record', async () => {
    const b = await fake();
    b.addTopic('t', 3);
    const lines = Array.from({ length: 30 }, (_, i) => `user-${i}:event ${i}`);
    const r = await runCli(
      [
        'produce',
        '--topic',
        't',
        '--key-separator',
        ':',
        '--header',
        'source=cli',
        '--header',
        'v=1',
        '--acks',
        'all',
        '--bootstrap-server',
        `127.0.0.1:${b.port}`,
      ],
      {
        stdin: lines.join('\n'),
      },
    );
    expect(r.code).toBe(0);
    let count = 0;
    for (const p of b.produced) {
      for (const rec of decodeRecords(p.records, 0)) {
        count++;
        expect(p.partition).toBe(partitionForKey(rec.key!, 3));
        expect(rec.headers.map((h) => `${h.key}=${h.value?.toString()}`)).toEqual(['source=cli', 'v=1']);
        expect(rec.value!.toString()).toBe(`event ${rec.key!.toString().slice(5)}`);
      }
    }
    expect(count).toBe(30);
    expect(new Set(b.produced.map((p) => p.partition)).size).toBe(3);
  });

  it('spreads lines without keys round robin, batching up to --batch-size records per request', async () => {
    const b = await fake();
    b.addTopic('t', 2);
    const r = await runCli(['produce', '--topic', 't', '--batch-size', '5', '--bootstrap-server', `127.0.0.1:${b.port}`], {
      stdin: Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n'),
    });
    expect(r.code).toBe(0);
    expect(b.produced.map((p) => decodeRecordBatchHeader(p.records, 0).recordCount)).toEqual([5, 5, 5, 5]);
    const p0 = b.produced.filter((p) => p.partition === 0).flatMap((p) => decodeRecords(p.records, 0).map((x) => x.value!.toString()));
    expect(p0).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i * 2}`));
  });

  it('compresses batches with --compression', async () => {
    const b = await fake();
    b.addTopic('t', 1);
    const r = await runCli(['produce', '--topic', 't', '--compression', 'gzip', '--partition', '0', '--bootstrap-server', `127.0.0.1:${b.port}`], {
      stdin: 'a\nb\nc',
    });
    expect(r.code).toBe(0);
    expect(decodeRecordBatchHeader(b.produced[0]!.records, 0).compression).toBe(1);
    expect(decodeRecords(b.produced[0]!.records, 0).map((x) => x.value!.toString())).toEqual(['a', 'b', 'c']);
  });

  it('sends the lines before a line without the key separator, then fails naming that line', async () => {
    const b = await fake();
    b.addTopic('t', 1);
    const r = await runCli(['produce', '--topic', 't', '--key-separator', ':', '--bootstrap-server', `127.0.0.1:${b.port}`], { stdin: 'k:v\nbroken\nk:w\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: No key separator found on line number 2: 'broken'\n");
    expect(b.produced.flatMap((p) => decodeRecords(p.records, 0)).map((x) => x.value!.toString())).toEqual(['v']);
  });

  it('refuses a --partition the topic does not have', async () => {
    const b = await fake();
    b.addTopic('t', 2);
    const r = await runCli(['produce', '--topic', 't', '--partition', '2', '--bootstrap-server', `127.0.0.1:${b.port}`], { stdin: 'x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('partition 2 does not exist: topic t has 2 partitions');
  });

  it('exits non-zero with the Kafka error name when the topic does not exist', async () => {
    const b = await fake();
    const r = await runCli(['produce', '--topic', 'nope', '--bootstrap-server', `127.0.0.1:${b.port}`], { stdin: 'x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: UNKNOWN_TOPIC_OR_PARTITION: topic nope/);
  });
});
