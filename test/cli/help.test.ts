import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SLUICE_BIN } from '../helpers/broker-process.js';
import { runCli } from './run-cli.js';

describe('sluice --help', () => {
  it('lists every subcommand and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'topics', 'produce', 'consume', 'groups']) expect(r.stdout).toContain(cmd);
  });

  it.each([
    [
      'topics',
      ['--create', '--list', '--describe', '--alter', '--delete', '--topic', '--partitions', '--replication-factor', '--config', '--bootstrap-server'],
    ],
    ['produce', ['--topic', '--key-separator', '--compression', '--acks', '--partition', '--batch-size', '--header', '--progress', '--bootstrap-server']],
    [
      'consume',
      [
        '--topic',
        '--from-beginning',
        '--partition',
        '--offset',
        '--max-messages',
        '--print-key',
        '--print-timestamp',
        '--print-headers',
        '--key-separator',
        '--timeout-ms',
        '--group',
      ],
    ],
    ['serve', ['--data-dir', '--listeners']],
  ])('sluice %s --help exits 0 and lists its options', async (command, options) => {
    const r = await runCli([command as string, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: sluice ${command}`);
    for (const o of options as string[]) expect(r.stdout).toContain(o);
  });

  it('works through bin/sluice.js as an installed command would', () => {
    const r = spawnSync(process.execPath, [SLUICE_BIN, 'produce', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: sluice produce');
  });

  it('exits non-zero on an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('option combinations that make no sense fail before connecting', () => {
  it.each([
    [['topics'], 'exactly one of --create, --list, --describe, --alter or --delete is required'],
    [['topics', '--create', '--list'], 'exactly one of --create, --list, --describe, --alter or --delete is required (got --create, --list)'],
    [['topics', '--create'], '--create requires --topic'],
    [['topics', '--delete'], '--delete requires --topic'],
    [['topics', '--alter', '--topic', 't'], '--alter requires --partitions, --config or --delete-config'],
    [['topics', '--list', '--partitions', '3'], '--partitions is only valid with --create or --alter'],
    [['topics', '--describe', '--replication-factor', '1'], '--replication-factor is only valid with --create'],
    [['topics', '--create', '--topic', 't', '--config', 'novalue'], 'invalid --config "novalue": expected key=value'],
    [['topics', '--create', '--topic', 't', '--partitions', 'three'], "option '--partitions <n>' argument 'three' is invalid. not an integer."],
    [['produce'], "required option '--topic <name>' not specified"],
    [['produce', '--topic', 't', '--acks', '2'], '--acks must be 0, 1, -1 or all (got "2")'],
    [['produce', '--topic', 't', '--compression', 'brotli'], '--compression must be one of none, gzip, snappy, lz4, zstd (got "brotli")'],
    [['produce', '--topic', 't', '--header', 'nokey'], 'invalid --header "nokey": expected key=value'],
    [['consume', '--topic', 't', '--offset', '5'], '--offset requires --partition'],
    [['consume', '--topic', 't', '--partition', '0', '--offset', 'soon'], '--offset must be earliest, latest or a non-negative number (got "soon")'],
    [['consume', '--topic', 't', '--partition', '0', '--offset', '1', '--from-beginning'], '--offset and --from-beginning cannot be used together'],
    [['consume', '--topic', 't', '--group', 'g1', '--offset', '3'], 'options group and offset cannot be specified together'],
  ])('sluice %j fails with a clear message', async (args, message) => {
    // Port 1 refuses connections: a check that ran after connecting would show up as a connect error.
    const r = await runCli([...(args as string[]), '--bootstrap-server', '127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message as string);
    expect(r.stderr).not.toContain('cannot connect');
  });
});
