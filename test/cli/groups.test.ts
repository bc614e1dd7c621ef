import { afterEach, describe, expect, it } from 'vitest';
import { encodeConsumerAssignment, encodeConsumerSubscription } from '../../src/group/consumer-protocol.js';
import { listOffsetsApi, type ApiSchema } from '../../src/protocol/index.js';
import type { ApiHandler } from '../../src/server/dispatcher.js';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { fakeGroupHandlers, fakeGroupState, type FakeGroupState, type FakeMember } from '../helpers/fake-groups.js';
import { produceTo, runCli } from './run-cli.js';

const API = { OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10, DescribeGroups: 15, ListGroups: 16, ListOffsets: 2, DeleteGroups: 42, OffsetDelete: 47 };

const brokers: FakeBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

/**
 * A fake broker with group APIs and topic `t` (2 partitions holding 5 and 3 records, record i
 * stamped 1700000000000 + i) plus topic `u` (1 partition, 4 records).
 */
async function setup(extra: (broker: FakeBroker) => ApiHandler<ApiSchema>[] = () => []): Promise<{ b: FakeBroker; groups: FakeGroupState; args: string[] }> {
  const groups = fakeGroupState();
  const b = await startFakeBroker({ handlers: (broker) => [...fakeGroupHandlers(groups)(broker), ...extra(broker)] });
  brokers.push(b);
  b.addTopic('t', 2);
  b.addTopic('u', 1);
  for (const [topic, partition, count] of [
    ['t', 0, 5],
    ['t', 1, 3],
    ['u', 0, 4],
  ] as const) {
    await produceTo(
      b.port,
      topic,
      partition,
      Array.from({ length: count }, (_, i) => ({ value: `v${i}`, timestamp: 1700000000000 + i })),
    );
  }
  return { b, groups, args: ['--bootstrap-server', `127.0.0.1:${b.port}`] };
}

function member(memberId: string, assignment: { topic: string; partitions: number[] }[], over: Partial<FakeMember> = {}): FakeMember {
  const topics = [...new Set(assignment.map((a) => a.topic))];
  return {
    memberId,
    groupInstanceId: null,
    clientId: 'console-consumer',
    clientHost: '/127.0.0.1',
    topics,
    metadata: encodeConsumerSubscription({ topics }),
    assignment: encodeConsumerAssignment({ assignedPartitions: assignment }),
    ...over,
  };
}

const sent = (b: FakeBroker, apiKey: number): number => b.requests.filter((r) => r.apiKey === apiKey).length;

describe('sluice groups: usage', () => {
  it.each([
    [['groups'], 'command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets'],
    [['groups', '--list', '--describe'], 'command must include exactly one action'],
    [['groups', '--describe'], '--describe needs --group (or --all-groups)'],
    [['groups', '--reset-offsets', '--group', 'g', '--topic', 't'], '--reset-offsets needs exactly one of --to-earliest'],
    [['groups', '--reset-offsets', '--group', 'g', '--to-earliest'], '--reset-offsets needs one scope: --topic or --all-topics'],
    [['groups', '--reset-offsets', '--group', 'g', '--all-topics', '--to-datetime', 'yesterday'], '--to-datetime must look like'],
    [['groups', '--reset-offsets', '--group', 'g', '--all-topics', '--to-latest', '--dry-run', '--execute'], '--dry-run and --execute cannot be used together'],
    [['groups', '--delete-offsets', '--group', 'g'], '--delete-offsets needs --topic'],
    [['groups', '--list', '--state', 'Sleepy'], "invalid state list 'Sleepy'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty"],
    [['groups', '--delete', '--group', 'g', '--topic', 't:x'], 'invalid --topic "t:x"'],
  ])('%j fails before connecting: %s', async (args, message) => {
    const r = await runCli([...args, '--bootstrap-server', '127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('--help lists the actions and options', async () => {
    const r = await runCli(['groups', '--help']);
    expect(r.code).toBe(0);
    for (const o of [
      '--list',
      '--describe',
      '--delete',
      '--reset-offsets',
      '--delete-offsets',
      '--group',
      '--topic',
      '--all-topics',
      '--to-earliest',
      '--to-latest',
      '--to-offset',
      '--to-datetime',
      '--shift-by',
      '--execute',
      '--dry-run',
      '--state',
      '--bootstrap-server',
    ]) {
      expect(r.stdout).toContain(o);
    }
  });
});

describe('sluice groups --list', () => {
  it('prints consumer group ids (and offset-only groups), sorted, one per line', async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({ groupId: 'zeta', state: 'Stable' });
    groups.addGroup({ groupId: 'alpha', state: 'Empty', protocolType: '' });
    groups.addGroup({ groupId: 'connect-cluster', state: 'Stable', protocolType: 'connect' });
    const r = await runCli(['groups', '--list', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('alpha\nzeta\n');
    expect(sent(b, API.ListGroups)).toBe(1);
  });

  it('--state filters by state and prints the GROUP STATE table', async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({ groupId: 'g-stable', state: 'Stable' });
    groups.addGroup({ groupId: 'g-empty', state: 'Empty' });
    groups.addGroup({ groupId: 'g-rebalancing', state: 'PreparingRebalance' });
    const r = await runCli(['groups', '--list', '--state', 'stable,Empty', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${'GROUP'.padEnd(25)} ${'STATE'.padEnd(20)}\n${'g-empty'.padEnd(25)} ${'Empty'.padEnd(20)}\n${'g-stable'.padEnd(25)} ${'Stable'.padEnd(20)}\n`,
    );
    expect(b.requests.find((q) => q.apiKey === API.ListGroups)?.apiVersion).toBe(4);
  });

  it('--state without a value lists every group with its state', async () => {
    const { groups, args } = await setup();
    groups.addGroup({ groupId: 'g1', state: 'CompletingRebalance' });
    const r = await runCli(['groups', '--list', '--state', ...args]);
    expect(r.stdout.split('\n')[1]).toBe(`${'g1'.padEnd(25)} ${'CompletingRebalance'.padEnd(20)}`);
  });
});

describe('sluice groups --describe', () => {
  it('prints state, offsets with lag, and members with their decoded assignments', async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({
      groupId: 'g1',
      state: 'Stable',
      protocol: 'range',
      members: [
        member('consumer-a', [{ topic: 't', partitions: [0, 1] }], { clientId: 'client-a' }),
        member('consumer-b', [{ topic: 'u', partitions: [0] }], { clientId: 'client-b', clientHost: '/10.0.0.2' }),
      ],
      offsets: new Map([
        ['t:0', 2n],
        ['u:0', 4n],
        ['gone:0', 7n],
      ]),
    });
    b.addTopic('gone', 1); // a committed partition no member owns
    const r = await runCli(['groups', '--describe', '--group', 'g1', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const coordinator = `127.0.0.1:${b.port}  (0)`;
    const sw = [15, Math.max(25, coordinator.length), 20, 20];
    const state = [
      '',
      ['GROUP'.padEnd(sw[0]!), 'COORDINATOR (ID)'.padEnd(sw[1]!), 'ASSIGNMENT-STRATEGY'.padEnd(sw[2]!), 'STATE'.padEnd(sw[3]!), '#MEMBERS'].join(' '),
      ['g1'.padEnd(sw[0]!), coordinator.padEnd(sw[1]!), 'range'.padEnd(sw[2]!), 'Stable'.padEnd(sw[3]!), '2'].join(' '),
    ];
    const ow = [15, 15, 10, 15, 15, 15, 15, 15];
    const orow = (v: string[]): string => v.map((x, i) => (i < ow.length ? x.padEnd(ow[i]!) : x)).join(' ');
    const offsets = [
      '',
      orow(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']),
      orow(['g1', 't', '0', '2', '5', '3', 'consumer-a', '/127.0.0.1', 'client-a']),
      orow(['g1', 't', '1', '-', '3', '-', 'consumer-a', '/127.0.0.1', 'client-a']),
      orow(['g1', 'u', '0', '4', '4', '0', 'consumer-b', '/10.0.0.2', 'client-b']),
      orow(['g1', 'gone', '0', '7', '0', '-7', '-', '-', '-']),
    ];
    const mw = [15, 15, 15, 15, 15];
    const mrow = (v: string[]): string => v.map((x, i) => (i < mw.length ? x.padEnd(mw[i]!) : x)).join(' ');
    const members = [
      '',
      mrow(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']),
      mrow(['g1', 'consumer-a', '/127.0.0.1', 'client-a', '2', 't:0,1']),
      mrow(['g1', 'consumer-b', '/10.0.0.2', 'client-b', '1', 'u:0']),
    ];
    expect(r.stdout).toBe(`${state.join('\n')}\n${offsets.join('\n')}\n${members.join('\n')}\n`);
    expect(sent(b, API.FindCoordinator)).toBe(1);
    expect(sent(b, API.OffsetFetch)).toBe(1);
  });

  it('--members alone shows GROUP-INSTANCE-ID when a member is static, and nothing else', async () => {
    const { groups, args } = await setup();
    groups.addGroup({
      groupId: 'g1',
      state: 'Stable',
      protocol: 'range',
      members: [
        member(
          'm-1',
          [
            { topic: 't', partitions: [1] },
            { topic: 'u', partitions: [0] },
          ],
          { groupInstanceId: 'host-7' },
        ),
      ],
    });
    const r = await runCli(['groups', '--describe', '--group', 'g1', '--members', ...args]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe(
      [
        'GROUP'.padEnd(15),
        'CONSUMER-ID'.padEnd(15),
        'GROUP-INSTANCE-ID',
        'HOST'.padEnd(15),
        'CLIENT-ID'.padEnd(16),
        '#PARTITIONS'.padEnd(15),
        'ASSIGNMENT',
      ].join(' '),
    );
    expect(lines[2]).toBe(
      ['g1'.padEnd(15), 'm-1'.padEnd(15), 'host-7'.padEnd(17), '/127.0.0.1'.padEnd(15), 'console-consumer', '2'.padEnd(15), 't:1;u:0'].join(' '),
    );
    expect(lines).toHaveLength(4);
  });

  it('says an Empty group has no active members and still shows its committed offsets', async () => {
    const { groups, args } = await setup();
    groups.addGroup({ groupId: 'idle', state: 'Empty', offsets: new Map([['t:1', 1n]]) });
    const r = await runCli(['groups', '--describe', '--group', 'idle', '--offsets', ...args]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("\nConsumer group 'idle' has no active members.\n");
    expect(r.stdout.split('\n')[2]).toMatch(/^idle +t +1 +1 +3 +2 +- +- +-$/);
  });

  it('fails with GROUP_ID_NOT_FOUND for a group that does not exist', async () => {
    const { args } = await setup();
    const r = await runCli(['groups', '--describe', '--group', 'nope', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: GROUP_ID_NOT_FOUND: consumer group 'nope' does not exist.\n");
    expect(r.stdout).toBe('');
  });

  it('looks the coordinator up again after COORDINATOR_LOAD_IN_PROGRESS', async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({ groupId: 'g1', state: 'Empty' });
    groups.coordinatorErrors.push(14, 15);
    const r = await runCli(['groups', '--describe', '--group', 'g1', '--state', ...args]);
    expect(r.code).toBe(0);
    expect(sent(b, API.FindCoordinator)).toBe(3);
  });

  it('exits 1 naming COORDINATOR_NOT_AVAILABLE when no coordinator turns up', async () => {
    const groups = fakeGroupState();
    groups.coordinatorErrors.push(...Array<number>(10).fill(15));
    const lonely = await startFakeBroker({ handlers: fakeGroupHandlers(groups) });
    brokers.push(lonely);
    const r = await runCli(['groups', '--describe', '--group', 'g1', '--bootstrap-server', `127.0.0.1:${lonely.port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: COORDINATOR_NOT_AVAILABLE: FindCoordinator for group g1 (not now)\n');
    expect(lonely.requests.filter((q) => q.apiKey === API.FindCoordinator)).toHaveLength(6);
  }, 15_000);
});

describe('sluice groups --reset-offsets', () => {
  const plan = (rows: [string, string, number, bigint][]): string =>
    `\n${[['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...rows.map(([g, t, p, o]) => [g, t, String(p), String(o)])]
      .map((v) => [v[0]!.padEnd(30), v[1]!.padEnd(30), v[2]!.padEnd(10), v[3]!.padEnd(15)].join(' '))
      .join('\n')}\n`;

  it('without --execute prints the plan, warns, and commits nothing', async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({ groupId: 'g1', state: 'Empty', offsets: new Map([['t:0', 4n]]) });
    const r = await runCli(['groups', '--reset-offsets', '--group', 'g1', '--topic', 't', '--to-earliest', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      plan([
        ['g1', 't', 0, 0n],
        ['g1', 't', 1, 0n],
      ]),
    );
    expect(r.stderr).toContain('--execute option is missing');
    expect(sent(b, API.OffsetCommit)).toBe(0);
    expect(groups.groups.get('g1')!.offsets.get('t:0')).toBe(4n);
  });

  it('--dry-run prints the plan without the warning', async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({ groupId: 'g1', state: 'Empty' });
    const r = await runCli(['groups', '--reset-offsets', '--group', 'g1', '--topic', 't:1', '--to-latest', '--dry-run', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(plan([['g1', 't', 1, 3n]]));
    expect(r.stderr).toBe('');
    expect(sent(b, API.OffsetCommit)).toBe(0);
  });

  it('--execute commits the plan as an admin commit (generation -1, no member id)', async () => {
    const { groups, args } = await setup();
    groups.addGroup({ groupId: 'g1', state: 'Empty' });
    const r = await runCli(['groups', '--reset-offsets', '--group', 'g1', '--topic', 't:0,1', '--topic', 'u', '--to-latest', '--execute', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      plan([
        ['g1', 't', 0, 5n],
        ['g1', 't', 1, 3n],
        ['g1', 'u', 0, 4n],
      ]),
    );
    expect(groups.commits).toEqual([
      {
        groupId: 'g1',
        generationId: -1,
        memberId: '',
        offsets: [
          { topic: 't', partition: 0, offset: 5n },
          { topic: 't', partition: 1, offset: 3n },
          { topic: 'u', partition: 0, offset: 4n },
        ],
      },
    ]);
  });

  it('clamps --to-offset to the high watermark and --shift-by to the log start, with a warning each', async () => {
    const { groups, args } = await setup();
    groups.addGroup({
      groupId: 'g1',
      state: 'Empty',
      offsets: new Map([
        ['t:0', 3n],
        ['t:1', 2n],
      ]),
    });
    const high = await runCli(['groups', '--reset-offsets', '--group', 'g1', '--topic', 't:0', '--to-offset', '42', '--execute', ...args]);
    expect(high.code).toBe(0);
    expect(high.stdout).toBe(plan([['g1', 't', 0, 5n]]));
    expect(high.stderr).toBe('New offset (42) is higher than latest offset for topic partition t-0. Value will be set to 5\n');
    const low = await runCli(['groups', '--reset-offsets', '--group', 'g1', '--all-topics', '--shift-by', '-10', '--execute', ...args]);
    expect(low.code).toBe(0);
    expect(low.stdout).toBe(
      plan([
        ['g1', 't', 0, 0n],
        ['g1', 't', 1, 0n],
      ]),
    );
    expect(low.stderr).toContain('New offset (-5) is lower than earliest offset for topic partition t-0. Value will be set to 0');
    expect(groups.groups.get('g1')!.offsets).toEqual(
      new Map([
        ['t:0', 0n],
        ['t:1', 0n],
      ]),
    );
  });

  it('--shift-by refuses a partition without a committed offset', async () => {
    const { groups, args } = await setup();
    groups.addGroup({ groupId: 'g1', state: 'Empty', offsets: new Map([['t:0', 3n]]) });
    const r = await runCli(['groups', '--reset-offsets', '--group', 'g1', '--topic', 't', '--shift-by', '1', '--execute', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: cannot shift the offset of t-1: group 'g1' has no committed offset for it\n");
    expect(groups.commits).toEqual([]);
  });

  it('--to-datetime asks ListOffsets for the time and takes the end of the log when no record is that new', async () => {
    // Records of t carry timestamps 1700000000000 + offset; answer like a broker would.
    const timeIndex = (): ApiHandler<ApiSchema> =>
      ({
        api: listOffsetsApi,
        versions: [1, 8],
        handle: (req: { topics: { name: string; partitions: { partitionIndex: number; timestamp: bigint }[] }[] }) => ({
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              const end = t.name === 't' ? [5n, 3n][p.partitionIndex]! : 4n;
              let offset = p.timestamp === -2n ? 0n : p.timestamp === -1n ? end : p.timestamp - 1700000000000n;
              if (p.timestamp >= 0n && offset >= end) offset = -1n;
              return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1n, offset: offset < 0n && p.timestamp >= 0n ? -1n : offset };
            }),
          })),
        }),
      }) as unknown as ApiHandler<ApiSchema>;
    const { groups, args } = await setup(() => [timeIndex()]);
    groups.addGroup({ groupId: 'g1', state: 'Dead' });
    const r = await runCli(['groups', '--reset-offsets', '--group', 'g1', '--topic', 't', '--to-datetime', '2023-11-14T22:13:20.004Z', '--execute', ...args]);
    expect(r.code).toBe(0);
    // 2023-11-14T22:13:20.004Z = 1700000000004: offset 4 on t-0; t-1 ends at 3, so its end.
    expect(r.stdout).toBe(
      plan([
        ['g1', 't', 0, 4n],
        ['g1', 't', 1, 3n],
      ]),
    );
  });

  it('refuses while the group has members, as Kafka does, and commits nothing', async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({ groupId: 'busy', state: 'Stable', protocol: 'range', members: [member('m', [{ topic: 't', partitions: [0, 1] }])] });
    const r = await runCli(['groups', '--reset-offsets', '--group', 'busy', '--topic', 't', '--to-earliest', '--execute', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: Assignments can only be reset if the group 'busy' is inactive, but the current state is Stable.\n");
    expect(sent(b, API.OffsetCommit)).toBe(0);
  });

  it('fails for partitions that do not exist, before committing anything', async () => {
    const { groups, args } = await setup();
    groups.addGroup({ groupId: 'g1', state: 'Empty' });
    const r = await runCli(['groups', '--reset-offsets', '--group', 'g1', '--topic', 't:0,7', '--topic', 'missing', '--to-earliest', '--execute', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: UNKNOWN_TOPIC_OR_PARTITION: these partitions do not exist: t-7, missing (group g1)\n');
    expect(groups.commits).toEqual([]);
  });

  it('reports a commit the coordinator refuses with the Kafka error', async () => {
    const { groups, args } = await setup();
    // Described as Empty but holding a member: the coordinator refuses the admin commit.
    groups.addGroup({ groupId: 'racy', state: 'Empty', members: [member('late', [])] });
    const r = await runCli(['groups', '--reset-offsets', '--group', 'racy', '--topic', 'u', '--to-earliest', '--execute', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: UNKNOWN_MEMBER_ID: OffsetCommit for group racy failed for u-0 (UNKNOWN_MEMBER_ID)\n');
  });
});

describe('sluice groups --delete', () => {
  it('deletes each group and says so', async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({ groupId: 'g1' });
    groups.addGroup({ groupId: 'g2' });
    const r = await runCli(['groups', '--delete', '--group', 'g1', '--group', 'g2', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Deletion of requested consumer groups ('g1', 'g2') was successful.\n");
    expect([...groups.groups.keys()]).toEqual([]);
    expect(sent(b, API.DeleteGroups)).toBe(2);
  });

  it('exits 1 listing NON_EMPTY_GROUP and GROUP_ID_NOT_FOUND, after deleting what it could', async () => {
    const { groups, args } = await setup();
    groups.addGroup({ groupId: 'ok' });
    groups.addGroup({ groupId: 'busy', state: 'Stable', members: [member('m', [])] });
    const r = await runCli(['groups', '--delete', '--group', 'busy', '--group', 'ok', '--group', 'ghost', ...args]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("These consumer groups were deleted successfully: 'ok'\n");
    expect(r.stderr).toBe(
      "Error: Deletion of some consumer groups failed:\n* Group 'busy' could not be deleted due to: NON_EMPTY_GROUP\n* Group 'ghost' could not be deleted due to: GROUP_ID_NOT_FOUND\n",
    );
    expect([...groups.groups.keys()]).toEqual(['busy']);
  });
});

describe('sluice groups --delete-offsets', () => {
  const table = (rows: string[][]): string =>
    `\n${[['TOPIC', 'PARTITION', 'STATUS'], ...rows].map((v) => [v[0]!.padEnd(15), v[1]!.padEnd(10), v[2]!.padEnd(15)].join(' ')).join('\n')}\n`;

  it("deletes the group's offsets of every partition of the topic", async () => {
    const { b, groups, args } = await setup();
    groups.addGroup({
      groupId: 'g1',
      offsets: new Map([
        ['t:0', 1n],
        ['t:1', 1n],
        ['u:0', 1n],
      ]),
    });
    const r = await runCli(['groups', '--delete-offsets', '--group', 'g1', '--topic', 't', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Request succeeded for deleting offsets from group g1.\n${table([
        ['t', '0', 'Successful'],
        ['t', '1', 'Successful'],
      ])}`,
    );
    expect(groups.groups.get('g1')!.offsets).toEqual(new Map([['u:0', 1n]]));
    expect(sent(b, API.OffsetDelete)).toBe(1);
  });

  it('exits 1 with GROUP_SUBSCRIBED_TO_TOPIC for a topic the members still read', async () => {
    const { groups, args } = await setup();
    groups.addGroup({ groupId: 'g1', state: 'Stable', members: [member('m', [{ topic: 'u', partitions: [0] }])], offsets: new Map([['u:0', 1n]]) });
    const r = await runCli(['groups', '--delete-offsets', '--group', 'g1', '--topic', 'u:0', ...args]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(table([['u', '0', 'Error: GROUP_SUBSCRIBED_TO_TOPIC']]));
    expect(r.stderr).toBe("Error: GROUP_SUBSCRIBED_TO_TOPIC: deleting offsets of group 'g1' failed for some partitions (see above)\n");
  });

  it('exits 1 with GROUP_ID_NOT_FOUND for an unknown group', async () => {
    const { args } = await setup();
    const r = await runCli(['groups', '--delete-offsets', '--group', 'ghost', '--topic', 't', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: GROUP_ID_NOT_FOUND: cannot delete offsets of group 'ghost'\n");
  });
});
