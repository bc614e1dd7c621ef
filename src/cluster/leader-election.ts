/**
 * The controller's partition-state rules when brokers come and go (Kafka's
 * PartitionChangeBuilder, without ELR):
 *
 * - A broker that is no longer registered leaves the ISR of every partition — unless it is the
 *   last member: the ISR then keeps it, so the replica that has every acknowledged record is
 *   the one that may lead again when it returns.
 * - A partition whose leader is gone gets a new leader: the first replica in assignment order
 *   that is alive and in the ISR; with unclean.leader.election.enable, failing that, the first
 *   live replica (which may lack acknowledged records; the ISR becomes just that replica);
 *   otherwise none (leader -1, the partition is offline).
 * - An offline partition gets a leader again as soon as an eligible replica is back.
 * - Every leader change bumps the leader epoch; every change bumps the partition epoch (the
 *   store does that). A change that changes nothing is not written.
 */
import { NO_LEADER, type PartitionChange, type PartitionState } from './metadata-store.js';

export function nextPartitionState(
  current: PartitionState,
  replicas: readonly number[],
  isAlive: (brokerId: number) => boolean,
  uncleanLeaderElection: boolean,
): PartitionChange | null {
  let isr = current.isr.filter(isAlive);
  if (isr.length === 0) isr = current.isr.length > 0 ? [current.isr[current.isr.length - 1]!] : [];
  let leader = current.leader;
  if (leader === NO_LEADER || !isAlive(leader)) {
    leader = replicas.find((r) => isAlive(r) && isr.includes(r)) ?? NO_LEADER;
    if (leader === NO_LEADER && uncleanLeaderElection) {
      leader = replicas.find(isAlive) ?? NO_LEADER;
      if (leader !== NO_LEADER) isr = [leader];
    }
  }
  const leaderChanged = leader !== current.leader;
  const isrChanged = isr.length !== current.isr.length || isr.some((b, i) => b !== current.isr[i]);
  if (!leaderChanged && !isrChanged) return null;
  return { leader, leaderEpoch: leaderChanged ? current.leaderEpoch + 1 : current.leaderEpoch, isr };
}
