// voice-requests: commands a desktop voice assistant hears, to route to one of the voice-commands
// suite's tools with the right arguments. Each tool has clear commands, the same commands misspelled
// as speech recognition garbles them (letters swapped, dropped, doubled, spelled by ear), and
// natural phrasings whose tool and arguments must be inferred. The expected arguments are always the
// correct spellings: a model must repair what it heard.
import type { ScenarioDefinition } from '../schema.js';
import type { ScenarioGenerator } from './generator.js';
import type { SeededRandom } from './random.js';

const APPS = [
  'chrome',
  'spotify',
  'firefox',
  'slack',
  'discord',
  'zoom',
  'terminal',
  'calculator',
  'thunderbird',
  'gimp',
];
const CITIES = [
  'Paris',
  'Lyon',
  'Marseille',
  'Berlin',
  'Madrid',
  'London',
  'Tokyo',
  'Montreal',
  'Dakar',
  'Lisbon',
  'Rome',
  'Oslo',
];
const EXCHANGES = ['MEXC', 'Binance', 'Kraken', 'Coinbase', 'Bybit', 'OKX'];
const GENRES = ['jazz', 'rock', 'classical', 'techno', 'reggae', 'blues', 'funk', 'soul'];
const CONTACTS = ['Alice', 'Bob', 'Karim', 'Sophie', 'Mamadou', 'Julien', 'Fatima', 'Hugo'];
const TEXTS = [
  ['I am running late', 'late'],
  ['call me back', 'call'],
  ['see you at noon', 'noon'],
  ['the build is green', 'build'],
  ['dinner is ready', 'dinner'],
  ['the meeting moved to Friday', 'friday'],
] as const;

interface Request {
  tool: string;
  arguments: Record<string, string | number>;
  keywords: string[];
  clear: string;
  natural: string;
}

/** One request per tool, its entities drawn from the seed. */
const REQUESTS: ((random: SeededRandom) => Request)[] = [
  (random) => {
    const app = random.pick(APPS);
    return {
      tool: 'open_app',
      arguments: { app },
      keywords: [app],
      clear: random.pick([`open ${app}`, `launch ${app}`, `start ${app}`]),
      natural: random.pick([`fire up ${app} for me`, `get ${app} running`, `I need ${app} on the screen`]),
    };
  },
  (random) => {
    const direction = random.pick(['up', 'down', 'mute'] as const);
    const what = random.pick(['volume', 'sound', 'audio', 'speakers']);
    const clear =
      direction === 'mute'
        ? random.pick([`mute the ${what}`, `mute ${what}`, `${what} off`])
        : random.pick([`${what} ${direction}`, `turn the ${what} ${direction}`, `turn ${direction} the ${what}`]);
    const natural = {
      up: `${random.pick(["I can't hear", 'I can barely hear', 'I hardly hear'])} ${random.pick(['a thing', 'the video', 'the call', 'the music'])}`,
      down: `${random.pick(["it's way too loud", 'that is deafening', 'the noise is too much', 'that hurts my ears'])}${random.pick(['', ' in here', ' right now'])}`,
      mute: `${random.pick(['silence please', 'quiet please', 'no sound at all'])}${random.pick(['', ', I am on a call', ', the baby is asleep', ' for a while'])}`,
    }[direction];
    return { tool: 'volume', arguments: { direction }, keywords: [], clear, natural };
  },
  (random) => ({
    tool: 'cluster_status',
    arguments: {},
    keywords: ['cluster'],
    clear: `${random.pick(['show', 'check', 'report', 'give me', 'read out'])} the ${random.pick(['cluster', 'GPU cluster', 'compute cluster'])} ${random.pick(['status', 'health', 'state'])}`,
    natural: `${random.pick(['are the', 'did any of the', 'how are the', 'are all the'])} ${random.pick(['cluster', 'GPU cluster', 'compute cluster'])} ${random.pick(['nodes healthy', 'nodes still up', 'machines doing', 'nodes alive'])}`,
  }),
  (random) => {
    const exchange = random.pick(EXCHANGES);
    return {
      tool: 'market_scan',
      arguments: { exchange },
      keywords: [exchange.toLowerCase()],
      clear: random.pick([`scan ${exchange}`, `run a market scan on ${exchange}`]),
      natural: `${random.pick(['what is moving on', 'anything pumping on', 'any big moves on', 'show me the gainers on', 'what is hot on'])} ${exchange}${random.pick(['', ' right now', ' today'])}`,
    };
  },
  (random) => {
    const minutes = random.int(1, 90);
    return {
      tool: 'set_timer',
      arguments: { minutes },
      keywords: [],
      clear: random.pick([`set a timer for ${minutes} minutes`, `timer ${minutes} minutes`]),
      natural: random.pick([`remind me in ${minutes} minutes`, `tell me when ${minutes} minutes are up`]),
    };
  },
  (random) => {
    const city = random.pick(CITIES);
    return {
      tool: 'weather',
      arguments: { city },
      keywords: [city.toLowerCase()],
      clear: random.pick([`weather in ${city}`, `what is the weather in ${city}`]),
      natural: random.pick([
        `do I need an umbrella in ${city} today`,
        `will it be cold in ${city} tomorrow`,
        `is it sunny in ${city}`,
        `should I take a coat in ${city}`,
        `how hot is it in ${city}`,
      ]),
    };
  },
  (random) => {
    const genre = random.pick(GENRES);
    return {
      tool: 'play_music',
      arguments: {},
      keywords: [genre],
      clear: random.pick([`play ${genre}`, `play some ${genre} music`]),
      natural: random.pick([
        `I am in the mood for some ${genre}`,
        `put on something ${genre}`,
        `I feel like listening to ${genre}`,
        `give me some ${genre}`,
        `some ${genre} would be nice`,
      ]),
    };
  },
  (random) => {
    const contact = random.pick(CONTACTS);
    const [text, keyword] = random.pick(TEXTS);
    return {
      tool: 'send_message',
      arguments: { contact },
      keywords: [keyword],
      clear: `send a message to ${contact} saying ${text}`,
      natural: random.pick([`tell ${contact} that ${text}`, `let ${contact} know ${text}`]),
    };
  },
];

/** Sounds speech recognition confuses, each way round. */
const BY_EAR: [RegExp, string][] = [
  [/ph/, 'f'],
  [/c(?=[aou])/, 'k'],
  [/ee/, 'ea'],
  [/s(?=[aeiou])/, 'z'],
  [/qu/, 'kw'],
  [/y/, 'i'],
  [/o(?=[mn])/, 'oa'],
];

/** One word garbled the way speech recognition does it; short words stay as they are. */
function misspell(random: SeededRandom, word: string): string {
  if (word.length < 4 || /\d/.test(word)) return word;
  // The words are plain ASCII command words and names, so code units are letters.
  const chars = word.split('');
  const i = random.int(1, chars.length - 2);
  switch (random.int(0, 3)) {
    case 0:
      [chars[i], chars[i + 1]] = [chars[i + 1] ?? '', chars[i] ?? ''];
      return chars.join('');
    case 1:
      chars.splice(i, 1);
      return chars.join('');
    case 2:
      chars.splice(i, 0, chars[i] ?? '');
      return chars.join('');
    default: {
      const [pattern, replacement] = random.pick(BY_EAR.filter(([sound]) => sound.test(word)).concat([[/e$/, '']]));
      const heard = word.replace(pattern, replacement);
      return heard === word ? `${word.slice(0, -1)}${word.slice(-1)}${word.slice(-1)}` : heard;
    }
  }
}

/** Garbles one or two of the longer words of a clear command, always including its entity where it has one. */
function garble(random: SeededRandom, command: string, entity: string | undefined): string {
  const words = command.split(' ');
  const candidates = words.map((word, index) => ({ word, index })).filter(({ word }) => word.length >= 4);
  const chosen = new Set(
    random
      .shuffle(candidates)
      .slice(0, random.int(1, 2))
      .map(({ index }) => index),
  );
  const entityIndex = entity ? words.findIndex((word) => word.toLowerCase() === entity.toLowerCase()) : -1;
  if (entityIndex >= 0 && (words[entityIndex]?.length ?? 0) >= 4) chosen.add(entityIndex);
  const garbled = words.map((word, index) => (chosen.has(index) ? misspell(random, word) : word)).join(' ');
  return garbled === command ? `${command.slice(0, -1)}${command.slice(-1)}${command.slice(-1)}` : garbled;
}

const STYLES = ['clear', 'misspelled', 'natural'] as const;
/** How people start a command; part of what makes two requests distinct. */
const OPENINGS = ['', '', 'please ', 'hey, ', 'could you '];

export const voiceRequests: ScenarioGenerator = {
  id: 'voice-requests',
  version: 1,
  scorer: 'tool-call',
  /** Every tool in every style: 8 tools × 3 styles. */
  /** What makes two of its scenarios the same: the text the model hears. */
  identity: (scenario: ScenarioDefinition) => scenario.prompt ?? '',
  scenario(random: SeededRandom, index: number): ScenarioDefinition {
    const style = STYLES[Math.floor(index / REQUESTS.length) % STYLES.length] ?? 'clear';
    const draw = REQUESTS[index % REQUESTS.length];
    if (!draw) throw new Error('Internal error: no request kinds.');
    const request = draw(random);
    const entity = Object.values(request.arguments).find((value): value is string => typeof value === 'string');
    const said =
      style === 'clear' ? request.clear : style === 'natural' ? request.natural : garble(random, request.clear, entity);
    // Questions and statements keep their own opening.
    const prompt = style === 'natural' ? said : `${random.pick(OPENINGS)}${said}`;
    return {
      id: `request-${String(index + 1).padStart(4, '0')}-${request.tool.replace(/_/g, '-')}-${style}`,
      category: style,
      keywords: [],
      prompt,
      expect: {
        tool: request.tool,
        ...(Object.keys(request.arguments).length > 0 ? { arguments: request.arguments } : {}),
        ...(request.keywords.length > 0 ? { keywords: request.keywords } : {}),
      },
    };
  },
};
