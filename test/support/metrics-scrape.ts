/** One scrape of a process's `/metrics`, as Prometheus would read it. */
export interface MetricsScrape {
  text: string;
  /** A sample's value, e.g. `value('gateway_streams_ended_total', { reason: 'cancelled' })`. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

export async function scrapeMetrics(baseUrl: string): Promise<MetricsScrape> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  return {
    text,
    value: (name, labels = {}) => {
      const wanted = Object.entries(labels)
        .map(([label, value]) => `${label}="${value}"`)
        .sort()
        .join(',');
      for (const line of text.split('\n')) {
        const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
        if (!match || match[1] !== name) continue;
        const found = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
        if (found === wanted) return Number(match[3]);
      }
      return undefined;
    },
  };
}
