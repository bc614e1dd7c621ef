import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../src/broker/broker-config.js';
import { parseProperties } from '../../src/broker/properties-file.js';
import { resolveLogConfig } from '../../src/storage/log-config.js';
import { KafkaError } from '../../src/errors.js';
import { removeDir, tempDir } from '../helpers/storage.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('broker-config');
});
afterEach(() => removeDir(dir));

describe('properties files', () => {
  it('reads key=value, key:value and key value, skipping # and ! comments and blank lines', () => {
    const props = parseProperties('# a comment\n! another\n\n  a=1\nb:2\nc 3\n d = spaced value \n');
    expect([...props]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', 'spaced value '],
    ]);
  });

  it('joins lines ending in a backslash and drops the leading blanks of the continuation', () => {
    const props = parseProperties('listeners=PLAINTEXT://127.0.0.1:9092,\\\n    INTERNAL://127.0.0.1:9093\nx=a\\\\\ny=b\n');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9093');
    // An even number of backslashes is an escaped backslash, not a continuation.
    expect(props.get('x')).toBe('a\\');
    expect(props.get('y')).toBe('b');
  });

  it('decodes escapes in keys and values, and a later key wins', () => {
    const props = parseProperties('k\\:ey=t\\tx\\u0041\nk\\:ey=second\nz=\\#notcomment\n');
    expect(props.get('k:ey')).toBe('second');
    expect(props.get('z')).toBe('#notcomment');
    expect(parseProperties('v=t\\tx\\u0041').get('v')).toBe('t\txA');
  });
});

describe('broker config', () => {
  it('applies Kafka defaults under Kafka names when nothing is set', () => {
    const config = loadBrokerConfig();
    expect(config.nodeId).toBe(0);
    expect(config.listeners).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }]);
    expect(config.advertisedListeners).toEqual(config.listeners);
    expect(config.dataDir).toBe('./data');
    expect(config.numPartitions).toBe(1);
    expect(config.defaultReplicationFactor).toBe(1);
    expect(config.autoCreateTopicsEnable).toBe(true);
    expect(config.messageMaxBytes).toBe(1048588);
    expect(config.socketRequestMaxBytes).toBe(104857600);
    expect(config.connectionsMaxIdleMs).toBe(600000);
    expect(config.clusterId).toBeNull();
    const log = resolveLogConfig(config.logDefaults);
    expect(log.retentionMs).toBe(168 * 3_600_000);
    expect(log.maxMessageBytes).toBe(1048588);
  });

  it('bounds queued request and response bytes by default (256 MiB each), and queued.max.request.bytes must hold one whole request, as in Kafka', () => {
    const config = loadBrokerConfig();
    expect(config.queuedMaxRequestBytes).toBe(256 * 1024 * 1024);
    expect(config.queuedMaxResponseBytes).toBe(256 * 1024 * 1024);
    expect(config.socketRequestMinBytesPerSecond).toBe(1024);
    expect(loadBrokerConfig({ properties: { 'queued.max.request.bytes': -1, 'queued.max.response.bytes': -1 } }).queuedMaxRequestBytes).toBe(-1);
    expect(() => loadBrokerConfig({ properties: { 'queued.max.request.bytes': 1000, 'socket.request.max.bytes': 2000 } })).toThrow(
      /queued.max.request.bytes 1000 must be larger or equal to socket.request.max.bytes 2000/,
    );
    expect(() => loadBrokerConfig({ properties: { 'socket.request.min.bytes.per.second': -1 } })).toThrow(KafkaError);
  });

  it('reads a server.properties file and lets the object and the data-dir option win', () => {
    const file = path.join(dir, 'server.properties');
    fs.writeFileSync(
      file,
      [
        '# sluice test',
        'node.id=3',
        'listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
        'controller.listener.names=CONTROLLER',
        'advertised.listeners=PLAINTEXT://broker.example:9092',
        'log.dirs=/var/lib/a,/var/lib/b',
        'num.partitions=6',
        'auto.create.topics.enable=false',
        'log.retention.hours=24',
        'log.segment.bytes=1048576',
        'some.unknown.key=kept',
      ].join('\n'),
    );
    const config = loadBrokerConfig({ propertiesFile: file, properties: { 'num.partitions': 2 } });
    expect(config.nodeId).toBe(3);
    expect(config.listeners.map((l) => l.name)).toEqual(['PLAINTEXT']);
    expect(config.advertisedListeners[0]).toMatchObject({ host: 'broker.example', port: 9092 });
    expect(config.dataDir).toBe('/var/lib/a');
    expect(config.numPartitions).toBe(2);
    expect(config.autoCreateTopicsEnable).toBe(false);
    expect(config.properties.get('some.unknown.key')).toBe('kept');
    const log = resolveLogConfig(config.logDefaults);
    expect(log.retentionMs).toBe(24 * 3_600_000);
    expect(log.segmentBytes).toBe(1048576);
    expect(loadBrokerConfig({ propertiesFile: file, dataDir: '/cli/dir' }).dataDir).toBe('/cli/dir');
  });

  it('prefers log.retention.ms over minutes over hours, as Kafka does', () => {
    const a = loadBrokerConfig({ properties: { 'log.retention.hours': 1, 'log.retention.minutes': 2 } });
    expect(resolveLogConfig(a.logDefaults).retentionMs).toBe(120_000);
    const b = loadBrokerConfig({ properties: { 'log.retention.ms': 5, 'log.retention.minutes': 2 } });
    expect(resolveLogConfig(b.logDefaults).retentionMs).toBe(5);
    const c = loadBrokerConfig({ properties: { 'log.retention.hours': -1 } });
    expect(resolveLogConfig(c.logDefaults).retentionMs).toBe(-1);
  });

  it('accepts broker.id as node.id and rejects the two when they differ', () => {
    expect(loadBrokerConfig({ properties: { 'broker.id': 7 } }).nodeId).toBe(7);
    expect(() => loadBrokerConfig({ properties: { 'broker.id': 7, 'node.id': 8 } })).toThrow(KafkaError);
  });

  it('refuses malformed values with INVALID_CONFIG', () => {
    const bad = (properties: Record<string, string>) => {
      try {
        loadBrokerConfig({ properties });
      } catch (err) {
        return (err as KafkaError).errorName;
      }
      return 'accepted';
    };
    expect(bad({ 'num.partitions': 'many' })).toBe('INVALID_CONFIG');
    expect(bad({ 'num.partitions': '0' })).toBe('INVALID_CONFIG');
    expect(bad({ 'auto.create.topics.enable': 'yes' })).toBe('INVALID_CONFIG');
    expect(bad({ listeners: 'localhost:9092' })).toBe('INVALID_CONFIG');
    expect(bad({ listeners: 'PLAINTEXT://0.0.0.0:9092' })).toBe('INVALID_CONFIG');
    expect(bad({ 'log.segment.bytes': '3' })).toBe('INVALID_CONFIG');
  });
});
