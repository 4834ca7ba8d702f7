import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { exposedNames, parsePrometheusText, ParsedMetrics, valueOf } from '../prometheus-text.js';

const PROMQL_KEYWORDS = new Set([
  'and',
  'bool',
  'by',
  'group_left',
  'group_right',
  'ignoring',
  'offset',
  'on',
  'or',
  'unless',
  'without',
]);

/**
 * The metric names a PromQL expression (or a Grafana `label_values(...)` query) reads: what is
 * left once strings, label matchers, ranges, grouping lists, Grafana variables, function names and
 * keywords are taken out.
 */
function metricNamesIn(query: string): string[] {
  // label_values(<selector>, <label>): only the first argument names a metric.
  const expr = /^label_values\((.*),\s*\w+\)$/.exec(query.trim())?.[1] ?? query;
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  // Not part of a number (1e3, 0.95), not a function name.
  for (const [name] of bare.matchAll(/(?<![\w.])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g)) {
    if (!PROMQL_KEYWORDS.has(name)) {
      names.add(name);
    }
  }
  return [...names];
}

interface DashboardPanel {
  panels?: DashboardPanel[];
  targets?: { expr?: string }[];
  title: string;
  type: string;
}

describe('GET /metrics on the local backend', () => {
  let server: PiraguaProcess;
  let admin: HeketiClient;

  const scrape = async (): Promise<ParsedMetrics> => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    return parsePrometheusText(await response.text());
  };

  beforeAll(async () => {
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: mkdtempSync(join(tmpdir(), 'piragua-e2e-metrics-')) });
    admin = new HeketiClient(server.url, ADMIN_KEY);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('should answer without a token in the Prometheus text format', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const metrics = parsePrometheusText(await response.text());
    expect(metrics.samples.length).toBeGreaterThan(50);
    expect(valueOf(metrics, 'heketi_up')).toBe(1);
    expect(valueOf(metrics, 'heketi_cluster_count')).toBe(1);
    expect(metrics.types.get('process_cpu_seconds_total')).toBe('counter');
  });

  it('should count the storage calls start-up made, before any listener was attached', async () => {
    // The index's first load and the reconciler's first pass read every record, in the background.
    const metrics = await scrape();
    const loads = valueOf(metrics, 'piragua_backend_calls_total', { method: 'loadVolumes', origin: 'background' });
    expect(loads).toBeGreaterThanOrEqual(1);
  });

  it('should describe the route in the OpenAPI document as public', async () => {
    const document = (await (await fetch(`${server.url}/docs-json`)).json()) as {
      paths: Record<string, { get?: { security?: unknown; summary?: string } }>;
    };
    expect(document.paths['/metrics']?.get?.summary).toBe('Prometheus metrics');
    expect(document.paths['/metrics']?.get?.security).toBeUndefined();
  });

  it('should follow a create and a delete in the volume count and the operation counters', async () => {
    const before = await scrape();
    const cluster = [...(await admin.request('GET', '/clusters')).json().clusters][0] as string;
    const created = { kind: 'create', result: 'succeeded' };
    const deleted = { kind: 'delete', result: 'succeeded' };
    expect(valueOf(before, 'heketi_volumes_count', { cluster })).toBe(0);
    expect(valueOf(before, 'heketi_nodes_count', { cluster })).toBe(1);
    const createdBefore = valueOf(before, 'piragua_operations_total', created)!;
    expect(createdBefore).toBe(0);

    const volume = (await admin.async('POST', '/volumes', { size: 1 })).final.json();
    let metrics = await scrape();
    expect(valueOf(metrics, 'heketi_volumes_count', { cluster })).toBe(1);
    expect(valueOf(metrics, 'piragua_operations_total', created)).toBe(createdBefore + 1);
    expect(valueOf(metrics, 'piragua_operation_duration_seconds_count', created)).toBe(1);
    expect(valueOf(metrics, 'piragua_cluster_quota_committed_bytes', { cluster })).toBe(1024 ** 3);
    expect(valueOf(metrics, 'piragua_operations_in_flight')).toBe(0);

    expect((await admin.async('DELETE', `/volumes/${volume.id}`)).final.status).toBe(204);
    metrics = await scrape();
    expect(valueOf(metrics, 'heketi_volumes_count', { cluster })).toBe(0);
    expect(valueOf(metrics, 'piragua_operations_total', deleted)).toBe(
      valueOf(before, 'piragua_operations_total', deleted)! + 1,
    );
    expect(valueOf(metrics, 'piragua_cluster_quota_committed_bytes', { cluster })).toBe(0);
  });

  it("should show a created or expanded volume's quota limit in the very next scrape", async () => {
    const volume = (await admin.async('POST', '/volumes', { size: 1 })).final.json();
    const labels = { id: volume.id as string };
    expect(valueOf(await scrape(), 'piragua_volume_quota_limit_bytes', labels)).toBe(1024 ** 3);

    expect((await admin.async('POST', `/volumes/${volume.id}/expand`, { expand_size: 2 })).final.status).toBe(200);
    expect(valueOf(await scrape(), 'piragua_volume_quota_limit_bytes', labels)).toBe(3 * 1024 ** 3);

    expect((await admin.async('DELETE', `/volumes/${volume.id}`)).final.status).toBe(204);
    expect(valueOf(await scrape(), 'piragua_volume_quota_limit_bytes', labels)).toBeUndefined();
  });

  it('should ship a Grafana dashboard whose every query reads metrics the service exposes', async () => {
    const dashboard = JSON.parse(readFileSync('deploy/grafana-dashboard.json', 'utf8')) as {
      __inputs: { name: string; pluginId: string }[];
      panels: DashboardPanel[];
      schemaVersion: number;
      templating: { list: { definition?: string }[] };
    };
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    const panels = dashboard.panels
      .flatMap((panel) => [panel, ...(panel.panels ?? [])])
      .filter((panel) => panel.type !== 'row');
    const queries = [
      ...panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? '')),
      ...dashboard.templating.list.map((variable) => variable.definition ?? ''),
    ];
    expect(queries.every((query) => query.length > 0)).toBe(true);
    const used = new Set(queries.flatMap(metricNamesIn));
    const exposed = exposedNames(await scrape());
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
    // The panels the dashboard is for.
    for (const name of [
      'heketi_up',
      'heketi_volumes_count',
      'piragua_cluster_quota_committed_bytes',
      'piragua_cluster_capacity_bytes',
      'piragua_volume_quota_used_bytes',
      'piragua_volume_quota_limit_bytes',
      'piragua_volume_quota_soft_limit_exceeded',
      'piragua_gluster_command_duration_seconds_count',
      'piragua_gluster_command_duration_seconds_bucket',
      'piragua_gluster_lock_retries_total',
      'piragua_operations_total',
      'piragua_operations_in_flight',
      'piragua_reconciler_findings',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it('should find the metric names in PromQL, and nothing else', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, subcommand) (rate(a_bucket{cluster=~"$cluster"}[$__rate_interval])))',
      ),
    ).toEqual(['a_bucket']);
    expect(metricNamesIn('time() - min(b_seconds > 0) or vector(1e3)')).toEqual(['b_seconds']);
    expect(metricNamesIn('count(max by (cluster, id) (c{x="by (y)"}) == 1) and on (cluster) d')).toEqual(['c', 'd']);
    expect(metricNamesIn('label_values(heketi_volumes_count, cluster)')).toEqual(['heketi_volumes_count']);
  });
});
