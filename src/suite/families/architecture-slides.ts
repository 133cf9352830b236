// architecture-slides: enterprise-architecture slides drawn from a random graph of products and the
// relations between them, with their ground truth (every word shown, the products named with their
// usual short names, each arrow as a relation). A cycle of three kinds, as in the hand-written
// slides: text only (a title and bullets naming products), a diagram (three to five boxes, labelled
// arrows), and a dense architecture (seven to nine boxes, small text).
import type { ScenarioDefinition, SlideImage } from '../schema.js';
import type { ScenarioGenerator } from './generator.js';
import type { SeededRandom } from './random.js';

const PRODUCTS: [string, string[]][] = [
  ['SAP S/4HANA Cloud', ['S/4HANA Cloud', 'S/4HANA']],
  ['SAP BTP', ['BTP', 'Business Technology Platform']],
  ['SAP Datasphere', ['Datasphere']],
  ['SAP Analytics Cloud', ['Analytics Cloud', 'SAC']],
  ['SAP Integration Suite', ['Integration Suite']],
  ['SAP HANA Cloud', ['HANA Cloud']],
  ['SAP Fiori', ['Fiori']],
  ['SAP Build Work Zone', ['Build Work Zone', 'Work Zone']],
  ['SAP Cloud Identity', ['Cloud Identity']],
  ['SAP AI Core', ['AI Core']],
  ['SAP Event Mesh', ['Event Mesh']],
  ['SAP SuccessFactors', ['SuccessFactors']],
  ['SAP Ariba', ['Ariba']],
  ['SAP Concur', ['Concur']],
  ['Salesforce CRM', ['Salesforce']],
  ['Microsoft Entra ID', ['Entra ID', 'Azure AD']],
  ['Apache Kafka', ['Kafka']],
  ['Snowflake', []],
  ['Databricks', []],
  ['ServiceNow', []],
  ['Workday', []],
  ['PostgreSQL', ['Postgres']],
];
const VERBS = ['READS', 'WRITES', 'SYNCS', 'CALLS', 'FEEDS', 'QUERIES', 'AUTHENTICATES', 'PUBLISHES', 'REPLICATES'];
const TOPICS = ['Finance', 'Procurement', 'HR', 'Sales', 'Supply Chain', 'Analytics', 'Integration', 'Identity'];
const TITLES = [
  '{topic} Landscape',
  '{topic} Architecture',
  'Target {topic} Platform',
  '{topic}: Current State',
  '{topic} Data Flows',
];
const BULLETS = [
  '{p} becomes the system of record',
  '{p} for reporting and dashboards',
  '{p} remains for existing processes',
  'Events flow through {p}',
  'Single sign-on with {p}',
  '{p} replaces the legacy tools by Q3',
  'Master data kept in {p}',
];
const FILLS = ['#dbeafe', '#dcfce7', '#fef3c7', '#ede9fe', '#fee2e2'];
const KINDS = ['text-only', 'diagram', 'dense'] as const;
const WIDTH = 1280;

function title(random: SeededRandom): string {
  return random.pick(TITLES).replace('{topic}', random.pick(TOPICS));
}

/** Boxes filling a grid row by row inside the slide, below the title bar. */
function layoutBoxes(names: string[], columns: number, height: number, fills: string[]): SlideImage['boxes'] {
  const rows = Math.ceil(names.length / columns);
  const cellWidth = (WIDTH - 80) / columns;
  const cellHeight = (720 - 110) / rows;
  const width = Math.min(300, cellWidth - 80);
  return names.map((label, index) => ({
    id: `b${index}`,
    label,
    x: Math.round(40 + (index % columns) * cellWidth + (cellWidth - width) / 2),
    y: Math.round(100 + Math.floor(index / columns) * cellHeight + (cellHeight - height) / 2),
    width: Math.round(width),
    height,
    fill: fills[index] ?? '#dbeafe',
  }));
}

/**
 * Arrows only between boxes side by side or one above the other, so that no arrow crosses a box or
 * another arrow's label: a random spanning tree of that grid, then extra edges up to `count`.
 */
function arrows(
  random: SeededRandom,
  boxes: number,
  columns: number,
  count: number,
): { from: number; to: number; verb: string }[] {
  const neighbours = (box: number) =>
    [box - columns, box + columns, box % columns > 0 ? box - 1 : -1, box % columns < columns - 1 ? box + 1 : -1].filter(
      (other) => other >= 0 && other < boxes,
    );
  const edges: { from: number; to: number; verb: string }[] = [];
  const used = new Set<string>();
  const add = (a: number, b: number) => {
    const [from, to] = random.chance(0.5) ? [a, b] : [b, a];
    edges.push({ from, to, verb: random.pick(VERBS) });
    used.add(`${Math.min(a, b)}-${Math.max(a, b)}`);
  };
  const reached = new Set([random.int(0, boxes - 1)]);
  while (reached.size < boxes) {
    const frontier = [...reached].flatMap((box) =>
      neighbours(box)
        .filter((other) => !reached.has(other))
        .map((other) => [box, other] as const),
    );
    const [box, other] = random.pick(frontier);
    add(box, other);
    reached.add(other);
  }
  const spare = random.shuffle(
    Array.from({ length: boxes }, (_, box) =>
      neighbours(box)
        .filter((other) => other > box)
        .map((other) => [box, other] as const),
    ).flat(),
  );
  for (const [box, other] of spare) {
    if (edges.length >= count) break;
    if (!used.has(`${box}-${other}`)) add(box, other);
  }
  return edges;
}

export const architectureSlides: ScenarioGenerator = {
  id: 'architecture-slides',
  version: 1,
  scorer: 'extraction',
  scenario(random: SeededRandom, index: number): ScenarioDefinition {
    const kind = KINDS[index % KINDS.length] ?? 'diagram';
    const id = `slide-${String(index + 1).padStart(4, '0')}-${kind}`;
    const heading = title(random);
    const products = random.shuffle(PRODUCTS);
    const entity = ([name, aliases]: [string, string[]]) => (aliases.length > 0 ? { name, aliases } : name);
    if (kind === 'text-only') {
      const named = products.slice(0, random.int(3, 5));
      const bullets = named.map(([name]) => random.pick(BULLETS).replace('{p}', name));
      return {
        id,
        category: kind,
        keywords: [],
        slide: { title: heading, bullets, boxes: [], arrows: [], 'font-size': random.pick([16, 18, 20]) },
        raster: { scale: 1, 'png-compression': 6 },
        expect: { text: [heading, ...bullets].join(' '), entities: named.map(entity), relations: [] },
      };
    }
    const dense = kind === 'dense';
    const named = products.slice(0, dense ? random.int(7, 9) : random.int(3, 5));
    const fontSize = dense ? random.pick([12, 13, 14]) : random.pick([16, 18]);
    const columns = dense ? 3 : random.pick([2, 3]);
    const boxes = layoutBoxes(
      named.map(([name]) => name),
      columns,
      dense ? 56 : 76,
      named.map(() => random.pick(FILLS)),
    );
    const edges = arrows(
      random,
      named.length,
      columns,
      dense ? named.length + random.int(0, 1) : named.length - 1 + random.int(0, 1),
    );
    const nameOf = (box: number) => named[box]?.[0] ?? '';
    return {
      id,
      category: kind,
      keywords: [],
      slide: {
        title: heading,
        bullets: [],
        boxes,
        arrows: edges.map((edge) => ({ from: `b${edge.from}`, to: `b${edge.to}`, label: edge.verb })),
        'font-size': fontSize,
      },
      raster: { scale: 1, 'png-compression': 6 },
      expect: {
        text: [heading, ...named.map(([name]) => name), ...edges.map((edge) => edge.verb)].join(' '),
        entities: named.map(entity),
        relations: edges.map((edge) => ({ from: nameOf(edge.from), to: nameOf(edge.to), type: edge.verb })),
      },
    };
  },
};
