import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { LineChart, thin, ticks } from './line-chart';

describe('LineChart', () => {
  it('draws one polyline per series with data, labelled with the latest values', () => {
    const html = renderToStaticMarkup(
      createElement(LineChart, {
        title: 'Loss',
        series: [
          {
            name: 'L_C',
            points: [
              [1, 2.5],
              [2, 2.0],
              [3, 1.5],
            ],
          },
          {
            name: 'L_D',
            points: [
              [1, 0.9],
              [2, 0.7],
              [3, 0.6],
            ],
          },
          { name: 'total', points: [] },
        ],
      }),
    );
    expect(html.match(/<polyline/g)).toHaveLength(2);
    expect(html).toContain('data-points="6"');
    expect(html).toContain('aria-label="Loss: L_C 1.5 at step 3, L_D 0.6 at step 3"');
    // Every point inside the drawing area (viewBox 640 × 220).
    const coords = [...html.matchAll(/<polyline[^>]*? points="([^"]+)"/g)].flatMap((m) =>
      m[1]!.split(' ').map((p) => p.split(',').map(Number)),
    );
    expect(coords).toHaveLength(6);
    for (const [x, y] of coords) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(640);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(220);
    }
  });

  it('says it waits for data before the first step', () => {
    const html = renderToStaticMarkup(
      createElement(LineChart, { title: 'Learning rate', series: [{ name: 'lr', points: [] }] }),
    );
    expect(html).not.toContain('<polyline');
    expect(html).toContain('Waiting for the first training step');
    expect(html).toContain('aria-label="Learning rate: no data yet"');
  });

  it('picks round ticks and thins long series, keeping the last point', () => {
    expect(ticks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(0.003, 0.031, 4)).toEqual([0.01, 0.02, 0.03]);
    expect(ticks(5, 5)).toEqual([5]);
    const long = Array.from({ length: 10_001 }, (_, i) => i);
    const kept = thin(long, 600);
    expect(kept.length).toBeLessThanOrEqual(601);
    expect(kept.at(-1)).toBe(10_000);
    expect(thin([1, 2, 3], 600)).toEqual([1, 2, 3]);
  });
});
