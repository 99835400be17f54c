import { writeFileSync } from 'node:fs';

export interface Bar {
  relay: string;
  value: number;
  /** Highlights this service's own bars. */
  ours: boolean;
}

/**
 * A horizontal bar chart rendered to SVG by Vega-Lite (headless, no browser or canvas needed).
 * vega and vega-lite are ES modules; this file is compiled to CommonJS, hence the dynamic imports.
 */
export async function writeBarChart(options: {
  path: string;
  title: string;
  axisTitle: string;
  bars: Bar[];
}): Promise<void> {
  const vegaLite = await import('vega-lite');
  const vega = await import('vega');
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: 520,
    height: { step: 26 },
    data: { values: options.bars },
    mark: { type: 'bar', cornerRadiusEnd: 3 },
    encoding: {
      y: { field: 'relay', type: 'nominal', sort: 'x', title: null },
      x: { field: 'value', type: 'quantitative', title: options.axisTitle },
      color: {
        field: 'ours',
        type: 'nominal',
        scale: { domain: [true, false], range: ['#2f6fde', '#9aa5b1'] },
        legend: null,
      },
      tooltip: [{ field: 'relay' }, { field: 'value' }],
    },
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null } },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  writeFileSync(options.path, await view.toSVG());
  view.finalize();
}
