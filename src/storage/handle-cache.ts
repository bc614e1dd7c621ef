/**
 * The process-wide bound on open segment handles. A segment holds three native handles while
 * open: its `.log` file (one fd) and its two indexes (one fd and one mmap each). Kafka keeps
 * them open for every segment of every partition, so a node's partition count is capped by
 * `ulimit -n` and `vm.max_map_count`, and hitting the cap fails whatever asks next (a
 * CreateTopics, the listener at startup). Here segments open their handles on demand and
 * this cache closes the least recently used ones past a budget: what stays open is what
 * producers and consumers touch (the active segment of a busy partition stays hot by use).
 *
 * The cache never closes handles in use: JS runs one call at a time, a segment touches the
 * cache on every handle access, and it only evicts from the cold end while another segment
 * opens. A flush in flight on the thread pool keeps its fd (or mapping) alive natively after
 * the close, so such fds can exceed the budget for as long as the fdatasync takes.
 *
 * The budget: a share of the soft RLIMIT_NOFILE (the rest is for sockets, the listener,
 * checkpoint writes and recovery scans) and of vm.max_map_count, divided by what one segment
 * costs. `configure` overrides it (the broker's `log.open.files.max`; tests use tiny ones).
 */
import fs from 'node:fs';
import { native } from '../native.js';

/** Descriptors an open segment holds: its log file and its two index files. */
export const FDS_PER_SEGMENT = 3;
/** Memory mappings an open segment holds at most (an empty index is not mapped). */
export const MAPS_PER_SEGMENT = 2;
/** Share of RLIMIT_NOFILE segment handles may use by default; the rest stays for sockets. */
export const SEGMENT_FD_SHARE = 0.5;
/** Share of vm.max_map_count segment indexes may use (the allocator and V8 map memory too). */
export const SEGMENT_MAP_SHARE = 0.5;
/** Fewest segments kept open whatever the limits say (a log reads its two newest at once). */
export const MIN_OPEN_SEGMENTS = 2;
/** Used when RLIMIT_NOFILE is unlimited or unreadable. */
const FALLBACK_FD_LIMIT = 1 << 20;
/**
 * Segment flushes in flight at once, process-wide. A flush keeps its fds open natively even
 * when the cache releases its segment meanwhile, so without a bound a flush of every log (a
 * checkpoint, a shutdown) would reopen every written segment at once and run out of fds.
 * The thread pool runs four at a time anyway.
 */
export const MAX_CONCURRENT_SEGMENT_FLUSHES = 64;
/** Linux's default vm.max_map_count, used when /proc cannot be read. */
const DEFAULT_MAX_MAP_COUNT = 65_530;

/** What the cache holds: something with handles it can close and reopen later by itself. */
export interface HandleHolder {
  /** Closes the native handles (the holder reopens them on its next access). */
  releaseHandles(): void;
}

/** A holder's place in the LRU list (owned by the holder, linked by the cache). */
export class HandleNode {
  prev: HandleNode | null = null;
  next: HandleNode | null = null;
  linked = false;
  constructor(readonly holder: HandleHolder) {}
}

export interface HandleCacheStats {
  /** Holders with open handles now. */
  open: number;
  /** Most holders kept open at once. */
  maxOpen: number;
  /** Handle sets opened (first opens and reopens). */
  opens: number;
  /** Handle sets closed to stay within the budget. */
  evictions: number;
}

function maxMapCount(): number {
  try {
    const n = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_MAP_COUNT;
  } catch {
    return DEFAULT_MAX_MAP_COUNT;
  }
}

function softFdLimit(): number {
  try {
    const soft = native.openFileLimit().soft;
    return Number.isFinite(soft) && soft > 0 ? soft : FALLBACK_FD_LIMIT;
  } catch {
    return FALLBACK_FD_LIMIT;
  }
}

/**
 * The default segment budget: `maxFds` (default: SEGMENT_FD_SHARE of the soft fd limit) over
 * FDS_PER_SEGMENT, and no more than SEGMENT_MAP_SHARE of vm.max_map_count allows.
 */
export function defaultOpenSegments(maxFds?: number): number {
  const fds = maxFds ?? Math.floor(softFdLimit() * SEGMENT_FD_SHARE);
  const maps = Math.floor(maxMapCount() * SEGMENT_MAP_SHARE);
  return Math.max(MIN_OPEN_SEGMENTS, Math.min(Math.floor(fds / FDS_PER_SEGMENT), Math.floor(maps / MAPS_PER_SEGMENT)));
}

/** An LRU list of holders with open handles, at most `maxOpen` of them. */
export class HandleCache {
  private head: HandleNode | null = null; // most recently used
  private tail: HandleNode | null = null; // least recently used
  private openCount = 0;
  private limit: number;
  private opens = 0;
  private evictions = 0;

  constructor(maxOpen: number) {
    this.limit = Math.max(1, Math.floor(maxOpen));
  }

  get maxOpen(): number {
    return this.limit;
  }

  /** Changes the budget (evicting at once when it shrank). */
  setMaxOpen(maxOpen: number): void {
    this.limit = Math.max(1, Math.floor(maxOpen));
    this.evictDownTo(this.limit, null);
  }

  stats(): HandleCacheStats {
    return { open: this.openCount, maxOpen: this.limit, opens: this.opens, evictions: this.evictions };
  }

  /** Before a holder opens its handles: closes the coldest others so one more fits. */
  makeRoom(except: HandleNode | null): void {
    this.evictDownTo(this.limit - 1, except);
  }

  /** The holder just opened its handles: it becomes the most recently used. */
  added(node: HandleNode): void {
    if (node.linked) {
      this.touch(node);
      return;
    }
    this.opens++;
    this.openCount++;
    node.linked = true;
    this.pushFront(node);
    // makeRoom ran before the open; a holder that opened in between (none today) is trimmed here.
    this.evictDownTo(this.limit, node);
  }

  /** The holder used its handles: move it to the hot end. */
  touch(node: HandleNode): void {
    if (this.head === node) return;
    this.unlink(node);
    this.pushFront(node);
  }

  /** The holder closed its handles itself (it was closed or deleted). */
  removed(node: HandleNode): void {
    if (!node.linked) return;
    this.unlink(node);
    node.linked = false;
    this.openCount--;
  }

  private evictDownTo(count: number, except: HandleNode | null): void {
    let victim = this.tail;
    while (this.openCount > Math.max(0, count) && victim !== null) {
      const prev = victim.prev;
      if (victim !== except) {
        this.removed(victim);
        this.evictions++;
        victim.holder.releaseHandles();
      }
      victim = prev;
    }
  }

  private pushFront(node: HandleNode): void {
    node.prev = null;
    node.next = this.head;
    if (this.head !== null) this.head.prev = node;
    this.head = node;
    if (this.tail === null) this.tail = node;
  }

  private unlink(node: HandleNode): void {
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = null;
  }
}

/** The cache every Segment of this process uses. */
export const segmentHandles = new HandleCache(defaultOpenSegments());

/**
 * Sets the process's segment handle budget in file descriptors (the broker's
 * `log.open.files.max`); undefined or 0 restores the default. Returns the segments it allows.
 */
export function configureSegmentHandles(maxFds?: number): number {
  segmentHandles.setMaxOpen(defaultOpenSegments(maxFds === undefined || maxFds <= 0 ? undefined : maxFds));
  return segmentHandles.maxOpen;
}

/** A counting semaphore for async work that holds handles while it runs. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(count: number) {
    this.free = count;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.free++;
    }
  }
}

/** Bounds the segment flushes in flight (MAX_CONCURRENT_SEGMENT_FLUSHES). */
export const segmentFlushSlots = new Slots(MAX_CONCURRENT_SEGMENT_FLUSHES);
