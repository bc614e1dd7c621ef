import { describe, expect, it } from 'vitest';
import { loadClusterConfig, parseEtcdUrl } from '../../src/cluster/cluster-config.js';

describe('cluster config', () => {
  it('is a single node without cluster.metadata.store or --cluster', () => {
    expect(loadClusterConfig(new Map())).toEqual({ mode: 'single-node' });
  });

  it('reads the etcd members and the key prefix from the etcd:// URL, with Kafka-named settings beside it', () => {
    const props = new Map([
      ['cluster.metadata.store', 'etcd://10.0.0.1:2379,etcd-2.local:2379/sluice/prod'],
      ['broker.rack', 'eu-1a'],
      ['broker.session.timeout.ms', '4000'],
      ['unclean.leader.election.enable', 'TRUE'],
    ]);
    expect(loadClusterConfig(props)).toEqual({
      mode: 'etcd',
      etcd: { endpoints: ['10.0.0.1:2379', 'etcd-2.local:2379'], prefix: '/sluice/prod/' },
      sessionTimeoutMs: 4000,
      requestTimeoutMs: 2000,
      rack: 'eu-1a',
      uncleanLeaderElectionEnable: true,
    });
  });

  it('lets --cluster win over the properties file and defaults the prefix', () => {
    const config = loadClusterConfig(new Map([['cluster.metadata.store', 'etcd://a:1']]), 'etcd://127.0.0.1:2379');
    expect(config).toMatchObject({ mode: 'etcd', etcd: { endpoints: ['127.0.0.1:2379'], prefix: '/sluice/default/' }, sessionTimeoutMs: 9000, rack: null });
  });

  it('refuses malformed URLs and values with INVALID_CONFIG naming the setting', () => {
    for (const bad of ['http://127.0.0.1:2379', 'etcd://', 'etcd://host', 'etcd://h:99999', 'etcd://h:1,', 'etcd://h:1/a b']) {
      expect(() => parseEtcdUrl(bad)).toThrow(
        expect.objectContaining({ errorName: 'INVALID_CONFIG', message: expect.stringContaining('cluster.metadata.store') }),
      );
    }
    expect(() => loadClusterConfig(new Map(), 'etcd://x')).toThrow(expect.objectContaining({ message: expect.stringContaining('--cluster') }));
    expect(() =>
      loadClusterConfig(
        new Map([
          ['cluster.metadata.store', 'etcd://h:1'],
          ['broker.session.timeout.ms', '10'],
        ]),
      ),
    ).toThrow(expect.objectContaining({ errorName: 'INVALID_CONFIG', message: expect.stringContaining('broker.session.timeout.ms') }));
  });
});
