// The consumer-group section of `npm run bench` (BENCH_ONLY=groups): the group coordinator
// (src/group/) measured in-process, the way an embedded consumer will drive it, and over
// loopback with the network client's group membership, in one run so the wire's cost shows as a ratio.
//
// One daemon runs in this process (startBrokerServer, PLAINTEXT on 127.0.0.1:0,
// group.initial.rebalance.delay.ms=0). Both kinds of member talk to its coordinator: the
// in-process ones call GroupCoordinator.joinGroup / syncGroup / heartbeat / commitOffsets
// directly (as handlers/11-join-group.ts etc. do), the wire ones are GroupMembership instances
// (client/group-membership.ts, the consumers' state machine) over the network transport's group
// requests, each on its own connection. Client and daemon share this process's event loop.
//
// 1. Rebalance on join, groups of N = 2, 10, 50 (range assignor, one topic of 100 partitions):
//    N-1 members are stable, then one more joins. Timed from the new member's first JoinGroup
//    until all N members hold their SyncGroup answer of the new generation (checked: one
//    generation, every partition assigned exactly once). The others learn of the rebalance
//    either
//      - at once: a hook on the coordinator tells them the moment it enters
//        PreparingRebalance (what an embedded consumer can be given); each then sends
//        Heartbeat (→ REBALANCE_IN_PROGRESS), JoinGroup, SyncGroup. This is the rebalance's own
//        cost: the coordinator's work plus, over the wire, the round trips.
//      - by heartbeat: every member heartbeats each H ms (heartbeat.interval.ms), phases
//        spread at random; the time is then bounded below by the wait for the slowest
//        member's next heartbeat (≈ H for larger groups), which real clients pay too.
//    A new wire member first gets MEMBER_ID_REQUIRED and joins again (KIP-394, JoinGroup v4+);
//    the in-process one joins with requireKnownMemberId=false (one call). Each repetition uses
//    a fresh group; in-process and wire rounds are interleaved; medians, ratio = median of the
//    per-repetition ratios to the in-process time.
// 2. Committed offsets: OffsetCommit of 1 partition and of 100 partitions per request by a
//    member of a stable group, one request at a time: commits/s, and the records/s that puts
//    into __consumer_offsets (one record per partition). Yardstick: Broker.appendInternal of
//    the same records (the append every commit must do), interleaved round by round.
// Env: BENCH_GROUP_SIZES (default 2,10,50), BENCH_GROUP_REPS (default 11, quick 5),
//      BENCH_GROUP_HEARTBEAT_MS (the heartbeat interval of the heartbeat rows, default 50).
import fs from 'node:fs';
import path from 'node:path';

const TOPIC = 'bench-groups';
const TOPIC_PARTITIONS = 100;
const SESSION_TIMEOUT_MS = 30_000;
const REBALANCE_TIMEOUT_MS = 30_000;
const NONE = 0;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;
const REBALANCE_IN_PROGRESS = 27;
/** GroupMembership's own heartbeats are switched off: the bench decides when members heartbeat. */
const NEVER_MS = 2 ** 31 - 1;

/**
 * @param ctx what run.mjs shares: { quick, workdir, root, row, note, section, median, progress, out, gc }
 */
export async function groupsSection(ctx) {
  const { quick, workdir, root, row, note, section, median, progress, out } = ctx;
  const dist = path.join(root, 'dist');
  const { startBrokerServer } = await import(path.join(dist, 'server', 'broker-server.js'));
  const { NetworkTransport } = await import(path.join(dist, 'client', 'network-transport.js'));
  const { GroupMembership } = await import(path.join(dist, 'client', 'group-membership.js'));
  const {
    builtInAssignor,
    encodeConsumerSubscription,
    decodeConsumerSubscription,
    encodeConsumerAssignment,
    decodeConsumerAssignment,
    CONSUMER_PROTOCOL_TYPE,
  } = await import(path.join(dist, 'group', 'assignors', 'index.js'));
  const { encodeOffsetCommitKey, encodeOffsetCommitValue } = await import(path.join(dist, 'group', 'offsets-topic-records.js'));
  const { createLogger } = await import(path.join(dist, 'logger.js'));

  const sizes = (process.env.BENCH_GROUP_SIZES ?? '2,10,50').split(',').map(Number);
  const reps = Number(process.env.BENCH_GROUP_REPS ?? (quick ? 5 : 11));
  const heartbeatMs = Number(process.env.BENCH_GROUP_HEARTBEAT_MS ?? 50);
  const commitRounds = quick ? 3 : 5;
  const commitMs = quick ? 300 : 1000; // per round and subject
  const assignor = builtInAssignor('range');

  const dataDir = fs.mkdtempSync(path.join(workdir, 'groups-'));
  const server = await startBrokerServer(
    { dataDir, properties: { listeners: 'PLAINTEXT://127.0.0.1:0', 'group.initial.rebalance.delay.ms': '0', 'auto.create.topics.enable': 'false' } },
    { logger: createLogger({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn' }), backgroundTasks: false },
  );
  const coordinator = server.groups;
  const address = `127.0.0.1:${server.listeners[0].boundPort}`;
  const clients = [];
  try {
    if ((await coordinator.findCoordinator()) !== NONE) throw new Error('the coordinator could not create __consumer_offsets');
    const [created] = await server.broker.createTopics([{ name: TOPIC, numPartitions: TOPIC_PARTITIONS, replicationFactor: -1 }], false);
    if (created.errorCode !== NONE) throw new Error(`creating ${TOPIC}: ${created.errorMessage}`);

    // One connection per wire member slot, reused by every repetition.
    const maxSize = Math.max(...sizes);
    for (let i = 0; i < maxSize; i++) clients.push(await NetworkTransport.connect({ brokers: [address], clientId: `bench-member-${i}`, retryBackoffMs: 10 }));

    const hook = joinHook(coordinator);
    await rebalances(hook);
    await commits();
  } finally {
    for (const c of clients) await c.close();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------------ rebalance on join

  async function rebalances(hook) {
    section(
      `10. consumer group rebalance on join: N-1 stable members + 1 joining → all N hold the new generation's assignment ` +
        `(range, ${TOPIC_PARTITIONS} partitions; ${reps} repetitions, fresh group each; median)`,
      'manual',
    );
    note("timed from the new member's first JoinGroup until every member has its SyncGroup answer of the new generation");
    note('"told at once": a coordinator hook tells the N-1 members the moment the rebalance starts; each sends Heartbeat, JoinGroup, SyncGroup');
    note(
      `"heartbeat ${heartbeatMs} ms": members heartbeat every ${heartbeatMs} ms (random phases) and rejoin on REBALANCE_IN_PROGRESS; the interval bounds the time`,
    );
    note(
      'wire = GroupMembership over the network transport on loopback, one connection per member, same process as the daemon; in-process = GroupCoordinator calls',
    );
    const subjects = [
      { key: 'direct-hook', name: (n) => `rebalance, ${n} members: in-process, told at once`, make: directMember, learn: 'hook' },
      { key: 'wire-hook', name: (n) => `rebalance, ${n} members: wire, told at once`, make: wireMember, learn: 'hook' },
      { key: 'direct-hb', name: (n) => `rebalance, ${n} members: in-process, heartbeat ${heartbeatMs} ms`, make: directMember, learn: 'heartbeat' },
      { key: 'wire-hb', name: (n) => `rebalance, ${n} members: wire, heartbeat ${heartbeatMs} ms`, make: wireMember, learn: 'heartbeat' },
    ];
    let groupNo = 0;
    for (const n of sizes) {
      const samples = new Map(subjects.map((s) => [s.key, []]));
      // One warm-up repetition, dropped.
      for (let r = 0; r < reps + 1; r++) {
        progress(`  rebalance, ${n} members: repetition ${r + 1}/${reps + 1}${r === 0 ? ' (warm-up)' : ''}`);
        for (const s of subjects) {
          const ms = await rebalanceOnce(`bench-group-${groupNo++}`, n, s.make, s.learn, hook);
          if (r > 0) samples.get(s.key).push(ms);
        }
      }
      progress(`  rebalance, ${n} members: done`, true);
      const rows = new Map();
      for (const s of subjects) {
        const xs = samples.get(s.key);
        const m = median(xs);
        const x = row({ section: 'groups', name: s.name(n), rate: m, rateUnit: 'ms', spread: (Math.max(...xs) - Math.min(...xs)) / m });
        rows.set(s.key, x);
        if (s.key === 'direct-hook') {
          x.note = "yardstick: the coordinator's own work for a rebalance";
          continue;
        }
        // Times: ratio > 1 is slower than the coordinator alone.
        const yardstick = s.key === 'direct-hb' ? 'direct-hook' : s.key === 'wire-hb' ? 'wire-hook' : 'direct-hook';
        const y = samples.get(yardstick);
        x.yardstick = rows.get(yardstick).name;
        x.ratio = median(xs.map((v, i) => v / y[i]));
        if (s.learn === 'heartbeat') x.note = `heartbeat.interval.ms=${heartbeatMs}: includes the wait for the members' next heartbeat (≤ ${heartbeatMs} ms)`;
      }
    }
  }

  /**
   * One repetition: `n - 1` members made stable (untimed), then one more joins; the time in ms
   * until all `n` hold the new generation's assignment.
   */
  async function rebalanceOnce(groupId, n, make, learn, hook) {
    const members = Array.from({ length: n }, (_, i) => make(groupId, i));
    const stable = members.slice(0, n - 1);
    const joining = members[n - 1];
    await settle(groupId, stable);
    const before = stable[0].generation;
    await joining.prepare();

    const done = new Array(n).fill(0);
    let stop = false;
    const rejoined = [];
    const t0 = performance.now();
    if (learn === 'hook') {
      hook.arm(groupId, () => {
        for (let i = 0; i < n - 1; i++) {
          rejoined.push(
            (async () => {
              if (!(await stable[i].heartbeat())) throw new Error('the coordinator started a rebalance, but Heartbeat did not say so');
              await stable[i].join();
              done[i] = performance.now();
            })(),
          );
        }
      });
    } else {
      for (let i = 0; i < n - 1; i++) {
        const phase = Math.random() * heartbeatMs;
        rejoined.push(
          (async () => {
            await sleep(phase);
            while (!stop) {
              if (await stable[i].heartbeat()) {
                await stable[i].join();
                done[i] = performance.now();
                return;
              }
              await sleep(heartbeatMs);
            }
          })(),
        );
      }
    }
    await joining.join();
    done[n - 1] = performance.now();
    await Promise.all(rejoined).finally(() => {
      stop = true;
      hook.disarm();
    });
    const ms = Math.max(...done) - t0;

    // Every member in the new generation, every partition exactly once.
    const generations = new Set(members.map((m) => m.generation));
    const state = coordinator.describeGroup(groupId);
    if (generations.size !== 1 || members[0].generation <= before || state.groupState !== 'Stable' || state.members.length !== n) {
      throw new Error(
        `group ${groupId}: the rebalance did not end in one new generation (generations ${[...generations]}, state ${state.groupState}, ${state.members.length} members)`,
      );
    }
    const owned = members.flatMap((m) => m.partitions()).sort((a, b) => a - b);
    if (owned.length !== TOPIC_PARTITIONS || owned.some((p, i) => p !== i))
      throw new Error(`group ${groupId}: the assignment does not cover ${TOPIC} exactly once`);

    const left = coordinator.leaveGroup(
      groupId,
      members.map((m) => ({ memberId: m.memberId, groupInstanceId: null })),
    );
    if (left.errorCode !== NONE) throw new Error(`LeaveGroup ${groupId}: error ${left.errorCode}`);
    for (const m of members) m.close();
    return ms;
  }

  /**
   * Makes `members` one stable generation (untimed setup): all join at once, then heartbeat
   * every few ms and rejoin when told (a later arrival started another rebalance), until the
   * group is Stable with every member idle in the same generation.
   */
  async function settle(groupId, members) {
    for (const m of members) await m.prepare();
    let settled = false;
    const busy = new Array(members.length).fill(true);
    const loops = members.map(async (m, i) => {
      await m.join();
      busy[i] = false;
      while (!settled) {
        busy[i] = true;
        if (await m.heartbeat()) await m.join();
        busy[i] = false;
        await sleep(5);
      }
    });
    const deadline = performance.now() + 60_000;
    while (!(busy.every((b) => !b) && coordinator.groupState(groupId) === 'Stable' && members.every((m) => m.generation === members[0].generation))) {
      if (performance.now() > deadline) throw new Error(`group ${groupId} did not settle`);
      await sleep(5);
    }
    settled = true;
    await Promise.all(loops);
  }

  // ------------------------------------------------------------------------ members

  /** A member that calls the coordinator directly, as an embedded consumer will. */
  function directMember(groupId, _slot) {
    let memberId = '';
    let generation = -1;
    let assignment = [];
    const subscription = () =>
      encodeConsumerSubscription({
        topics: [TOPIC],
        userData: assignor.subscriptionUserData({ topics: [TOPIC], assignment: null, generationId: generation }),
        ownedPartitions: [],
        generationId: generation,
      });
    const self = {
      get memberId() {
        return memberId;
      },
      get generation() {
        return generation;
      },
      partitions: () => assignment,
      prepare: async () => {},
      async join() {
        for (let attempt = 0; attempt < 50; attempt++) {
          const j = await coordinator.joinGroup({
            groupId,
            memberId,
            groupInstanceId: null,
            requireKnownMemberId: false,
            supportSkippingAssignment: false,
            clientId: 'bench-direct',
            clientHost: '/127.0.0.1',
            rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
            sessionTimeoutMs: SESSION_TIMEOUT_MS,
            protocolType: CONSUMER_PROTOCOL_TYPE,
            protocols: [{ name: assignor.name, metadata: subscription() }],
            reason: null,
          });
          if (j.errorCode === REBALANCE_IN_PROGRESS) continue;
          if (j.errorCode === UNKNOWN_MEMBER_ID) {
            memberId = '';
            continue;
          }
          if (j.errorCode !== NONE) throw new Error(`JoinGroup ${groupId}: error ${j.errorCode}`);
          memberId = j.memberId;
          generation = j.generationId;
          const assignments = j.leader === memberId ? assign(j.members) : [];
          const s = await coordinator.syncGroup({
            groupId,
            generationId: generation,
            memberId,
            groupInstanceId: null,
            protocolType: CONSUMER_PROTOCOL_TYPE,
            protocolName: j.protocolName,
            assignments,
          });
          if (s.errorCode === REBALANCE_IN_PROGRESS || s.errorCode === ILLEGAL_GENERATION) continue;
          if (s.errorCode !== NONE) throw new Error(`SyncGroup ${groupId}: error ${s.errorCode}`);
          assignment = s.assignment.length === 0 ? [] : decodeConsumerAssignment(s.assignment).assignedPartitions.flatMap((t) => t.partitions);
          return;
        }
        throw new Error(`member of ${groupId} kept being sent back to JoinGroup`);
      },
      /** Resolves true when the coordinator asks the member to rejoin. */
      async heartbeat() {
        const code = coordinator.heartbeat({ groupId, generationId: generation, memberId, groupInstanceId: null });
        if (code === NONE) return false;
        if (code === REBALANCE_IN_PROGRESS || code === ILLEGAL_GENERATION) return true;
        throw new Error(`Heartbeat ${groupId}: error ${code}`);
      },
      commit(topics) {
        return coordinator.commitOffsets({ groupId, generationId: generation, memberId, groupInstanceId: null, retentionTimeMs: -1, topics });
      },
      close() {},
    };
    return self;
  }

  /** The leader's assignment, as GroupMembership computes it (partition count known here). */
  function assign(members) {
    const subscriptions = new Map();
    for (const m of members) {
      const s = decodeConsumerSubscription(m.metadata);
      subscriptions.set(m.memberId, {
        topics: s.topics,
        userData: s.userData,
        ownedPartitions: s.ownedPartitions,
        generationId: s.generationId,
        groupInstanceId: m.groupInstanceId,
        rackId: s.rackId,
      });
    }
    const assigned = assignor.assign(new Map([[TOPIC, TOPIC_PARTITIONS]]), subscriptions);
    return members.map((m) => ({
      memberId: m.memberId,
      assignment: encodeConsumerAssignment({
        assignedPartitions: [...(assigned.get(m.memberId) ?? new Map())].map(([topic, partitions]) => ({ topic, partitions })),
      }),
    }));
  }

  /** A group member over loopback on connection `slot`; its own heartbeat timer is off. */
  function wireMember(groupId, slot) {
    const m = new GroupMembership(clients[slot].groupTransport(), {
      groupId,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
      heartbeatIntervalMs: NEVER_MS,
      assignors: [assignor],
    });
    m.setTopics([TOPIC]);
    let generation = -1;
    return {
      get memberId() {
        return m.memberId;
      },
      get generation() {
        return generation;
      },
      partitions: () => m.assignment.flatMap((t) => t.partitions),
      // The coordinator is looked up before timing, as a running consumer already knows it.
      prepare: async () => {
        await clients[slot].groups.coordinator(groupId);
      },
      async join() {
        // Eager, as a consumer: the member claims nothing when it rejoins.
        m.revokeAll();
        await m.join();
        generation = m.generationId;
      },
      async heartbeat() {
        await m.heartbeat();
        return m.needsRejoin;
      },
      async commit(offsets) {
        if (!(await m.commit(offsets))) throw new Error(`OffsetCommit ${groupId}: the group moved on`);
      },
      close() {
        // Left through the coordinator already; this only stops the (idle) heartbeat timer.
        void m.leave().catch(() => undefined);
      },
    };
  }

  // ------------------------------------------------------------------------ commits

  async function commits() {
    section(
      `10b. committed offsets: OffsetCommit by a member of a stable group, one request at a time ` +
        `(${commitMs} ms per round and subject, 1 warm-up + ${commitRounds} rounds interleaved, median)`,
      'manual',
    );
    note('records/s into __consumer_offsets = commits/s × partitions per commit (one offset-commit record each)');
    note('yardstick: Broker.appendInternal of the same records, pre-encoded (the append a commit must make)');
    const groupId = 'bench-commit-direct';
    const wireGroupId = 'bench-commit-wire';
    const direct = directMember(groupId, 0);
    const wire = wireMember(wireGroupId, 0);
    await settle(groupId, [direct]);
    await settle(wireGroupId, [wire]);
    const partition = coordinator.partitionFor(groupId);

    for (const width of [1, 100]) {
      const parts = Array.from({ length: width }, (_, i) => i);
      let offset = 0n;
      const directTopics = () => [
        {
          name: TOPIC,
          partitions: parts.map((p) => ({
            partitionIndex: p,
            committedOffset: ++offset,
            committedLeaderEpoch: -1,
            committedMetadata: '',
            commitTimestamp: -1n,
          })),
        },
      ];
      const wireOffsets = () => parts.map((p) => ({ topic: TOPIC, partition: p, offset: ++offset }));
      const records = parts.map((p) => ({
        key: encodeOffsetCommitKey(groupId, TOPIC, p),
        value: encodeOffsetCommitValue({ offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: Date.now(), expireTimestamp: null }),
        timestamp: Date.now(),
      }));
      const subjects = [
        [
          'append',
          () => {
            const r = server.broker.appendInternal('__consumer_offsets', partition, records);
            if (r.errorCode !== NONE) throw new Error(`appendInternal: error ${r.errorCode}`);
          },
        ],
        [
          'direct',
          () => {
            const r = direct.commit(directTopics());
            if (r[0].partitions[0].errorCode !== NONE) throw new Error(`OffsetCommit: error ${r[0].partitions[0].errorCode}`);
          },
        ],
        ['wire', () => wire.commit(wireOffsets())],
      ];
      const rates = new Map(subjects.map(([k]) => [k, []]));
      for (let r = 0; r < commitRounds + 1; r++) {
        progress(`  OffsetCommit ×${width}: round ${r + 1}/${commitRounds + 1}${r === 0 ? ' (warm-up)' : ''}`);
        for (const [key, fn] of subjects) {
          ctx.gc();
          const n = await timedLoop(fn, commitMs);
          if (r > 0) rates.get(key).push(n);
        }
      }
      progress(`  OffsetCommit ×${width}: done`, true);
      const label = width === 1 ? '1 partition' : `${width} partitions`;
      const names = {
        append: `appendInternal, ${label} per call`,
        direct: `OffsetCommit, ${label} per commit: in-process`,
        wire: `OffsetCommit, ${label} per commit: wire`,
      };
      const base = rates.get('append');
      for (const [key] of subjects) {
        const xs = rates.get(key);
        const m = median(xs);
        const x = row({
          section: 'groups',
          name: names[key],
          rate: m,
          rateUnit: key === 'append' ? 'calls/s' : 'commits/s',
          spread: (Math.max(...xs) - Math.min(...xs)) / m,
        });
        const recs = `${fmt(m * width)} records/s into __consumer_offsets`;
        out(`  ${''.padEnd(52)} ${recs.padStart(22)}`);
        if (key === 'append') {
          x.note = `yardstick: ${recs}`;
          continue;
        }
        x.yardstick = names.append;
        x.ratio = median(xs.map((v, i) => v / base[i]));
        x.note = recs;
      }
    }
    coordinator.leaveGroup(groupId, [{ memberId: direct.memberId, groupInstanceId: null }]);
    coordinator.leaveGroup(wireGroupId, [{ memberId: wire.memberId, groupInstanceId: null }]);
    wire.close();
  }

  /** Runs `fn` back to back (awaiting each) for about `ms`; calls per second. */
  async function timedLoop(fn, ms) {
    const t0 = performance.now();
    const end = t0 + ms;
    let n = 0;
    let now = t0;
    do {
      const r = fn();
      if (r !== undefined) await r;
      n++;
      // Synchronous subjects check the clock every 64 calls.
      if (r !== undefined || (n & 63) === 0) now = performance.now();
    } while (now < end);
    return n / ((performance.now() - t0) / 1000);
  }
}

/**
 * Wraps the coordinator's joinGroup so the bench learns, synchronously, the moment a JoinGroup
 * puts an armed group into PreparingRebalance (the request's state change happens inside the
 * call, before its answer is parked).
 */
function joinHook(coordinator) {
  const original = coordinator.joinGroup.bind(coordinator);
  let armed = null;
  coordinator.joinGroup = (request) => {
    const answer = original(request);
    if (armed !== null && request.groupId === armed.groupId && coordinator.groupState(armed.groupId) === 'PreparingRebalance') {
      const { fire } = armed;
      armed = null;
      fire();
    }
    return answer;
  };
  return {
    arm(groupId, fire) {
      armed = { groupId, fire };
    },
    disarm() {
      armed = null;
    },
  };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fmt(x) {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(1);
}
