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
  /** A dashed vertical line, e.g. the target. */
  rule?: { value: number; label: string };
}): Promise<void> {
  // Sorted here, not by Vega-Lite: a sort on one layer of a layered chart is dropped.
  const bars = [...options.bars].sort((a, b) => a.value - b.value);
  const vegaLite = await import('vega-lite');
  const vega = await import('vega');
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: 520,
    height: { step: 26 },
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', cornerRadiusEnd: 3 },
        encoding: {
          y: {
            field: 'relay',
            type: 'nominal',
            sort: null,
            title: null,
            axis: { labelLimit: 300 },
          },
          x: { field: 'value', type: 'quantitative', title: options.axisTitle },
          color: {
            field: 'ours',
            type: 'nominal',
            scale: { domain: [true, false], range: ['#2f6fde', '#9aa5b1'] },
            legend: null,
          },
          tooltip: [{ field: 'relay' }, { field: 'value' }],
        },
      },
      {
        data: { values: bars },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
        encoding: {
          y: { field: 'relay', type: 'nominal', sort: null },
          x: { field: 'value', type: 'quantitative' },
          text: { field: 'value', type: 'quantitative' },
        },
      },
      ...(options.rule
        ? [
            {
              data: { values: [options.rule] },
              mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#c53030' },
              encoding: { x: { field: 'value', type: 'quantitative' as const } },
            },
            {
              data: { values: [options.rule] },
              mark: {
                type: 'text' as const,
                align: 'left' as const,
                dx: 3,
                dy: -4,
                color: '#c53030',
                fontSize: 11,
                y: 0,
              },
              encoding: {
                x: { field: 'value', type: 'quantitative' as const },
                text: { field: 'label', type: 'nominal' as const },
              },
            },
          ]
        : []),
    ],
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null } },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  writeFileSync(options.path, await view.toSVG());
  view.finalize();
}
