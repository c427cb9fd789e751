import fs from 'node:fs';
import path from 'node:path';
import { metrics } from '@ticketing/common';

// The Grafana dashboard (infra/grafana) must only chart what the services export: every
// metric named in a query is one of common's metrics (or its histogram series), so a
// renamed metric cannot leave an empty panel behind.
const dashboard = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../infra/grafana/ticketing-dashboard.json'), 'utf8'));
const exported = new Set<string>();
for (const m of Object.values(metrics)) {
  const name = (m as unknown as { name: string }).name;
  exported.add(name);
  for (const suffix of ['_bucket', '_count', '_sum']) exported.add(name + suffix);
}
const PROMQL_WORDS = new Set(['sum', 'by', 'rate', 'increase', 'histogram_quantile', 'max', 'min', 'le', 'without', 'avg', 'count']);

function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\b(by|without)\s*\([^)]*\)/g, '').replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '').replace(/"[^"]*"/g, '');
  return (withoutLabels.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w));
}

const queries: { panel: string; expr: string }[] = dashboard.panels.flatMap((p: { title: string; targets: { expr: string }[] }) =>
  p.targets.map((t) => ({ panel: p.title, expr: t.expr })),
);

it('has the panels operators need: purchase funnel, event lag, outbox age, dead letters, Stripe errors', () => {
  const titles = dashboard.panels.map((p: { title: string }) => p.title).join(' | ');
  for (const word of ['Purchase funnel', 'Event lag', 'Outbox', 'Dead letters', 'Stripe']) expect(titles).toContain(word);
  expect(queries.length).toBeGreaterThan(10);
});

it.each(queries.map((q) => [q.panel, q.expr]))('%s: every metric in `%s` is exported by the services', (_panel, expr) => {
  const names = metricNames(expr);
  expect(names.length).toBeGreaterThan(0);
  for (const n of names) expect(exported.has(n) ? n : `${n} (not exported)`).toBe(n);
});

it('when a query names a metric nobody exports, then the check catches it', () => {
  expect(metricNames('sum(rate(purchases_total{service="orders"}[5m]))').every((n) => exported.has(n))).toBe(false);
});
