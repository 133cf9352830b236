// shape-layouts: canvases of coloured shapes at seeded positions; the model gives the pixel centres of
// the ones asked for. A cycle of three kinds: one shape asked for among a few, two asked for, and
// one or two among a crowd of up to eight. Shapes never overlap and each (colour, shape) appears at
// most once, so every label names exactly one shape; small shapes and shapes near the edges come up.
import type { ScenarioDefinition } from '../schema.js';
import type { ScenarioGenerator } from './generator.js';
import type { SeededRandom } from './random.js';

const COLOURS: [string, string][] = [
  ['red', '#d62728'],
  ['blue', '#1f77b4'],
  ['green', '#2ca02c'],
  ['orange', '#ff7f0e'],
  ['purple', '#9467bd'],
  ['black', '#111111'],
  ['brown', '#8c564b'],
  ['pink', '#e377c2'],
];
const SHAPES = ['circle', 'square', 'triangle'] as const;
const BACKGROUNDS = ['#ffffff', '#ffffff', '#f3f4f6', '#fefce8'];
const WIDTH = 800;
const HEIGHT = 600;
const KINDS = [
  { kind: 'single', shapes: [1, 3], asked: 1 },
  { kind: 'two', shapes: [2, 4], asked: 2 },
  { kind: 'crowded', shapes: [5, 8], asked: 2 },
] as const;

interface Placed {
  shape: (typeof SHAPES)[number];
  colour: [string, string];
  x: number;
  y: number;
  size: number;
}

function place(random: SeededRandom, count: number): Placed[] {
  const kinds = random.shuffle(COLOURS.flatMap((colour) => SHAPES.map((shape) => ({ shape, colour }))));
  const placed: Placed[] = [];
  for (const { shape, colour } of kinds) {
    if (placed.length === count) break;
    const size = random.pick([24, 32, 40, 50, 60, 70, 80]);
    // A few tries for a free spot; a crowded canvas may end with fewer shapes than drawn.
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const x = random.int(size, WIDTH - size);
      const y = random.int(size, HEIGHT - size);
      if (placed.every((other) => Math.hypot(other.x - x, other.y - y) > (other.size + size) * 0.8 + 10)) {
        placed.push({ shape, colour, x, y, size });
        break;
      }
    }
  }
  return placed;
}

export const shapeLayouts: ScenarioGenerator = {
  id: 'shape-layouts',
  version: 1,
  scorer: 'coordinates',
  scenario(random: SeededRandom, index: number): ScenarioDefinition {
    const kind = KINDS[index % KINDS.length] ?? KINDS[0];
    const placed = place(random, random.int(kind.shapes[0], kind.shapes[1]));
    const asked = random.shuffle(placed).slice(0, Math.min(kind.asked, placed.length));
    const label = (shape: Placed) => `${shape.colour[0]} ${shape.shape}`;
    return {
      id: `layout-${String(index + 1).padStart(4, '0')}-${kind.kind}`,
      category: kind.kind,
      keywords: [],
      prompt: `Where is the ${asked.map(label).join(' and the ')}? Give the centre of each.`,
      canvas: {
        background: random.pick(BACKGROUNDS),
        shapes: placed.map((shape) => ({
          shape: shape.shape,
          color: shape.colour[1],
          x: shape.x,
          y: shape.y,
          size: shape.size,
        })),
      },
      raster: { scale: 1, 'png-compression': 6 },
      expect: { points: asked.map((shape) => ({ label: label(shape), x: shape.x, y: shape.y })) },
    };
  },
};
