// patient-records: emergency-unit patient records (French UI), each with one planted anomaly or none.
// The anomalies are those a billing or coding review must catch; the clean records include near
// misses that look odd but are right, so a model that flags whatever is unusual pays in false
// positives. Records vary in names, ids, dates and their format, services, diagnoses (ICD-10 codes),
// field labels and order, type size, spacing, colours, image scale and JPEG compression.
import type { ScenarioDefinition } from '../schema.js';
import type { ScenarioGenerator } from './generator.js';
import type { SeededRandom } from './random.js';

type Sex = 'F' | 'M';
interface Diagnosis {
  code: string;
  label: string;
  motif: string;
  /** Words of the label a reviewer would quote. */
  words: string[];
}

const diagnosis = (code: string, label: string, motif: string, words: string[]): Diagnosis => ({
  code,
  label,
  motif,
  words,
});

const ADULT_DIAGNOSES = [
  diagnosis('K35.8', 'Appendicite aiguë', 'Douleur abdominale aiguë', ['appendicite']),
  diagnosis('S52.5', 'Fracture du radius distal', 'Chute mécanique', ['fracture']),
  diagnosis('G43.9', 'Migraine', 'Céphalées intenses', ['migraine']),
  diagnosis('J18.9', 'Pneumopathie', 'Fièvre et toux', ['pneumopathie']),
  diagnosis('R07.4', 'Douleur thoracique', 'Douleur thoracique', ['thoracique']),
  diagnosis('S06.0', 'Commotion cérébrale', 'Traumatisme crânien', ['commotion']),
  diagnosis('N39.0', 'Infection urinaire', 'Brûlures mictionnelles', ['urinaire']),
  diagnosis('I48.9', 'Fibrillation auriculaire', 'Palpitations', ['fibrillation']),
  diagnosis('K80.2', 'Lithiase biliaire', 'Douleur hypocondre droit', ['lithiase']),
  diagnosis('T78.4', 'Réaction allergique', 'Urticaire', ['allergique']),
  diagnosis('S93.4', 'Entorse de la cheville', 'Traumatisme de la cheville', ['entorse']),
  diagnosis('E11.6', 'Diabète déséquilibré', 'Malaise', ['diabète']),
];
const INFANT_DIAGNOSES = [
  diagnosis('J21.9', 'Bronchiolite aiguë', 'Gêne respiratoire', ['bronchiolite']),
  diagnosis('A08.4', 'Gastro-entérite virale', 'Vomissements', ['gastro']),
  diagnosis('R56.0', 'Convulsion fébrile', 'Convulsion', ['convulsion']),
  diagnosis('H66.9', 'Otite moyenne aiguë', 'Fièvre et pleurs', ['otite']),
];
/** Diagnoses of old age, impossible for an infant. */
const AGED_DIAGNOSES = [
  diagnosis('M17.9', 'Gonarthrose', 'Douleur du genou', ['gonarthrose', 'arthrose', 'osteoarthritis']),
  diagnosis('M16.9', 'Coxarthrose', 'Douleur de hanche', ['coxarthrose', 'arthrose', 'osteoarthritis']),
  diagnosis('F03', 'Démence sénile', 'Confusion', ['démence', 'dementia', 'sénile', 'senile']),
  diagnosis('I70.2', 'Athérosclérose des membres', 'Claudication', ['athérosclérose', 'atherosclerosis']),
];
const SEX_SPECIFIC: Record<Sex, Diagnosis[]> = {
  // Diagnoses only the other sex can have: keyed by the sex they are planted on.
  F: [
    diagnosis('N40', 'Hyperplasie de la prostate', 'Rétention urinaire', ['prostate']),
    diagnosis('N43.3', 'Hydrocèle', 'Tuméfaction scrotale', ['hydrocèle', 'hydrocele', 'scrot']),
  ],
  M: [
    diagnosis('O80', 'Accouchement spontané', 'Contractions', ['accouchement', 'delivery', 'childbirth']),
    diagnosis('N95.1', 'Ménopause symptomatique', 'Bouffées de chaleur', ['ménopause', 'menopause']),
    diagnosis('O00.9', 'Grossesse extra-utérine', 'Douleur pelvienne', ['grossesse', 'pregnancy']),
  ],
};

const SURNAMES = [
  'MARTIN', 'BERNARD', 'DUBOIS', 'THOMAS', 'ROBERT', 'RICHARD', 'PETIT', 'DURAND', 'LEROY', 'MOREAU',
  'SIMON', 'LAURENT', 'LEFEBVRE', 'MICHEL', 'GARCIA', 'DAVID', 'BERTRAND', 'ROUX', 'VINCENT', 'FOURNIER',
  'MOREL', 'GIRARD', 'MERCIER', 'BLANC', 'GUERIN', 'BOYER', 'GARNIER', 'CHEVALIER', 'LEGRAND', 'GAUTHIER',
  "N'DIAYE", 'NGUYEN', 'HADDAD', 'BENALI', 'DA SILVA', 'KOWALSKI',
]; // prettier-ignore
const GIVEN_NAMES: Record<Sex, string[]> = {
  F: ['Marie', 'Camille', 'Léa', 'Chloé', 'Inès', 'Sophie', 'Nathalie', 'Isabelle', 'Fatima', 'Aïcha', 'Jeanne', 'Louise'],
  M: ['Paul', 'Lucas', 'Hugo', 'Thomas', 'Nicolas', 'Julien', 'Karim', 'Mamadou', 'Pierre', 'Louis', 'Jean', 'Antoine'],
}; // prettier-ignore
const TITLES = [
  'DOSSIER PATIENT - URGENCES UHCD',
  'FICHE DE SÉJOUR - UHCD',
  'DOSSIER DE SOINS - URGENCES',
  'RÉSUMÉ DE PASSAGE AUX URGENCES',
  'URGENCES ADULTES - DOSSIER MÉDICAL',
];
const LABELS = {
  name: ['Nom :', 'Patient :', 'Nom, prénom :'],
  id: ['IPP :', 'N° IPP :', 'Identifiant patient :'],
  birth: ['Date de naissance :', 'DDN :', 'Né(e) le :'],
  sex: ['Sexe :', 'Sexe :', 'Genre :'],
  admission: ["Date d'admission :", 'Entrée :', 'Arrivée :'],
  discharge: ['Date de sortie :', 'Sortie :', 'Sortie le :'],
  service: ['Service :', 'Unité :', 'Service :'],
  motif: ['Motif :', 'Motif de recours :', 'Motif :'],
  diagnosis: ['Diagnostic principal :', 'DP :', 'Diagnostic :'],
  billing: ['Forfait facturation :', 'Facturation :', 'Forfait :'],
};
const EXTRAS: [string, string[]][] = [
  ['Médecin :', ['Dr LEMAIRE', 'Dr BENSAID', 'Dr COLIN', 'Dr FAURE', 'Dr HOARAU']],
  ["Mode d'arrivée :", ['Moyens personnels', 'Pompiers', 'SMUR', 'Ambulance privée']],
  ['Box :', ['B3', 'B7', 'UHCD-2', 'UHCD-5', 'Déchocage']],
  ['Tri IOA :', ['Niveau 2', 'Niveau 3', 'Niveau 4']],
];
const BACKGROUNDS = ['#ffffff', '#ffffff', '#f8fafc', '#fffbeb', '#f0f9ff'];
const INKS = ['#000000', '#111827', '#1f2937', '#0f172a'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const pad = (value: number) => String(value).padStart(2, '0');

type DateStyle = 'iso' | 'fr';
function dateText(time: number, style: DateStyle, withTime: boolean): string {
  const date = new Date(time);
  const [y, m, d] = [date.getUTCFullYear(), pad(date.getUTCMonth() + 1), pad(date.getUTCDate())];
  const day = style === 'iso' ? `${y}-${m}-${d}` : `${d}/${m}/${y}`;
  return withTime ? `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}` : day;
}

/** The record's fields as values, before layout; an anomaly edits some of them. */
interface PatientRecord {
  name: string;
  id: string;
  birth: string;
  sex: Sex;
  admission: string;
  discharge: string;
  service: string;
  diagnosis: string;
  motif: string;
  billing: string;
}

/** What a kind of record plants: its edits to the record, and the words that show a model saw it. */
interface Planted {
  anomaly: boolean;
  note: string;
  keywords: string[];
}

interface Draft {
  random: SeededRandom;
  record: PatientRecord;
  style: DateStyle;
  admittedAt: number;
}

const BILLING_24H = 'UHCD - Forfait 24h';
const SHORT_VISIT = 'ATU - Passage aux urgences';
const dx = (entry: Diagnosis) => `${entry.code} - ${entry.label}`;

/** A plausible adult (or infant) record: stay, billing and diagnosis agree with each other. */
function baseRecord(random: SeededRandom, infant: boolean): Draft {
  const sex: Sex = random.chance(0.5) ? 'F' : 'M';
  const style: DateStyle = random.chance(0.5) ? 'iso' : 'fr';
  const admittedAt = Date.UTC(2026, 0, 1) + random.int(0, 330) * DAY + random.int(0, 23 * 60 + 59) * MINUTE;
  const ageDays = infant ? random.int(30, 330) : random.int(18 * 365, 88 * 365);
  const shortStay = random.chance(0.4);
  const stay = shortStay ? random.int(90, 300) * MINUTE : random.int(14 * 60, 23 * 60) * MINUTE;
  const entry = random.pick(infant ? INFANT_DIAGNOSES : ADULT_DIAGNOSES);
  const record: PatientRecord = {
    name: `${random.pick(SURNAMES)} ${random.pick(GIVEN_NAMES[sex])}`,
    id: String(random.int(10_000_000, 39_999_999)),
    birth: dateText(admittedAt - ageDays * DAY, style, false),
    sex,
    admission: dateText(admittedAt, style, true),
    discharge: dateText(admittedAt + stay, style, true),
    service: infant ? 'URGENCES PÉDIATRIQUES' : random.pick(['URGENCES', 'UHCD', 'URGENCES ADULTES']),
    diagnosis: dx(entry),
    motif: entry.motif,
    billing: shortStay ? SHORT_VISIT : BILLING_24H,
  };
  return { random, record, style, admittedAt };
}

/**
 * Each kind of record: what it changes and, for an anomaly, the words that name it. A cycle of 16:
 * 8 anomalies, 5 clean records and 3 near misses, so every 16 scenarios hold each kind once.
 */
const KINDS: { kind: string; infant?: boolean; plant: (draft: Draft) => Planted }[] = [
  {
    kind: 'birth-date-aberrant',
    plant: ({ random, record, style }) => {
      const year = random.pick([1900, 1900, 1850, 1901]);
      record.birth = style === 'iso' ? `${year}-01-01` : `01/01/${year}`;
      return {
        anomaly: true,
        note: `a birth date in ${year} is a placeholder, not a patient's age`,
        keywords: [String(year), 'naissance', 'ddn', 'birth', 'dob'],
      };
    },
  },
  {
    kind: 'patient-id-malformed',
    plant: ({ random, record }) => {
      const id = random.pick(['ABC@@##XYZ', '12#45?78', 'XXXXXXXX', '0000-ABCD', '99?99?99']);
      record.id = id;
      return {
        anomaly: true,
        note: 'the patient id (IPP) is eight digits everywhere else',
        keywords: ['ipp', id.toLowerCase(), 'identifiant', 'identifier', 'patient id', 'patient number'],
      };
    },
  },
  {
    kind: 'diagnosis-empty',
    plant: ({ random, record }) => {
      record.diagnosis = random.pick(['', '', '—', 'À compléter']);
      return {
        anomaly: true,
        note: 'a stay cannot be coded without its principal diagnosis',
        keywords: ['diagnostic', 'diagnosis', 'vide', 'absent', 'manque', 'non renseigné', 'compléter', 'missing', 'empty', 'blank'],
      }; // prettier-ignore
    },
  },
  {
    kind: 'diagnosis-incompatible-with-age',
    infant: true,
    plant: ({ random, record }) => {
      const entry = random.pick(AGED_DIAGNOSES);
      record.diagnosis = dx(entry);
      record.motif = entry.motif;
      return {
        anomaly: true,
        note: `${entry.label} is a diagnosis of old age, coded for an infant`,
        keywords: [...entry.words, entry.code.toLowerCase(), 'nourrisson', 'infant', 'bébé', 'baby', 'incompatible'],
      }; // prettier-ignore
    },
  },
  {
    kind: 'billing-flat-rate-vs-stay',
    plant: ({ random, record, style, admittedAt }) => {
      record.discharge = dateText(admittedAt + random.int(35, 110) * MINUTE, style, true);
      record.billing = BILLING_24H;
      return {
        anomaly: true,
        note: 'a 24-hour short-stay flat rate billed for a visit of under two hours',
        keywords: ['forfait', '24h', '24 h', 'uhcd', 'flat rate', 'factur', 'billing', 'durée', 'duration', 'séjour', 'stay'],
      }; // prettier-ignore
    },
  },
  {
    kind: 'discharge-before-admission',
    plant: ({ random, record, style, admittedAt }) => {
      record.discharge = dateText(admittedAt - random.int(3, 30) * HOUR, style, true);
      return {
        anomaly: true,
        note: 'the discharge is dated before the admission',
        keywords: ['sortie', 'discharge', 'admission', 'entrée', 'avant', 'before', 'antérieure', 'chronolog', 'prior'],
      }; // prettier-ignore
    },
  },
  {
    kind: 'sex-specific-diagnosis',
    plant: ({ random, record }) => {
      const entry = random.pick(SEX_SPECIFIC[record.sex]);
      record.diagnosis = dx(entry);
      record.motif = entry.motif;
      return {
        anomaly: true,
        note: `${entry.label} cannot be coded for a patient of sex ${record.sex}`,
        keywords: [...entry.words, entry.code.toLowerCase(), 'sexe', 'sex', 'genre', 'gender', 'homme', 'femme', 'male', 'female'],
      }; // prettier-ignore
    },
  },
  {
    kind: 'impossible-date',
    plant: ({ random, record, style }) => {
      // The day after the month's last day, in the month the date had: the stay stays plausible otherwise.
      const field = random.chance(0.5) ? 'admission' : 'discharge';
      const real = record[field];
      const [year, month] =
        style === 'iso' ? [real.slice(0, 4), real.slice(5, 7)] : [real.slice(6, 10), real.slice(3, 5)];
      const day = String(new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate() + 1);
      const text = style === 'iso' ? `${year}-${month}-${day}` : `${day}/${month}/${year}`;
      record[field] = `${text}${real.slice(text.length)}`;
      return {
        anomaly: true,
        note: `${text} is not a date`,
        keywords: [text, 'invalide', 'invalid', 'impossible', 'inexist', "n'existe", 'does not exist', 'not a valid', 'erron'],
      }; // prettier-ignore
    },
  },
  { kind: 'clean', plant: () => ({ anomaly: false, note: 'a consistent record', keywords: [] }) },
  { kind: 'clean', infant: true, plant: () => ({ anomaly: false, note: 'an infant with a paediatric diagnosis', keywords: [] }) }, // prettier-ignore
  { kind: 'clean', plant: () => ({ anomaly: false, note: 'a consistent record', keywords: [] }) },
  {
    kind: 'near-miss-centenarian',
    plant: ({ random, record, style, admittedAt }) => {
      // A real patient of about a hundred: old, but a date, not a placeholder.
      const birth = Date.UTC(1926, random.int(0, 11), random.int(2, 28));
      record.birth = dateText(Math.min(birth, admittedAt - 95 * 365 * DAY), style, false);
      return { anomaly: false, note: 'a real 1926 birth date: old, not aberrant', keywords: [] };
    },
  },
  {
    kind: 'near-miss-infant',
    infant: true,
    plant: () => ({ anomaly: false, note: 'an infant with a paediatric diagnosis', keywords: [] }),
  },
  {
    kind: 'near-miss-long-stay',
    plant: ({ random, record, style, admittedAt }) => {
      record.discharge = dateText(admittedAt + random.int(24 * 60, 27 * 60) * MINUTE, style, true);
      record.billing = BILLING_24H;
      return { anomaly: false, note: 'a stay of a little over 24 h on the 24 h flat rate', keywords: [] };
    },
  },
  { kind: 'clean', plant: () => ({ anomaly: false, note: 'a consistent record', keywords: [] }) },
  { kind: 'clean', plant: () => ({ anomaly: false, note: 'a consistent record', keywords: [] }) },
];

function layout(random: SeededRandom, record: PatientRecord): [string, string][] {
  const labelSet = random.int(0, 2);
  const label = (field: keyof typeof LABELS) => LABELS[field][labelSet] ?? LABELS[field][0] ?? field;
  const identity: [string, string][] = [
    [label('name'), record.name],
    [label('id'), record.id],
    [label('birth'), record.birth],
    [label('sex'), record.sex],
  ];
  const stay: [string, string][] = [
    [label('admission'), record.admission],
    [label('discharge'), record.discharge],
    [label('service'), record.service],
    [label('motif'), record.motif],
  ];
  const coding: [string, string][] = [
    [label('diagnosis'), record.diagnosis],
    [label('billing'), record.billing],
  ];
  const blocks = random.chance(0.7) ? [identity, stay, coding] : [identity, coding, stay];
  const rows = blocks.flatMap((block) => (random.chance(0.3) ? random.shuffle(block) : block));
  for (const [extraLabel, values] of random.shuffle(EXTRAS).slice(0, random.int(0, 3)))
    rows.splice(random.int(1, rows.length), 0, [extraLabel, random.pick(values)]);
  return rows;
}

export const patientRecords: ScenarioGenerator = {
  id: 'patient-records',
  /** Raised whenever a change alters the scenarios drawn from a seed. */
  version: 1,
  scorer: 'flagged-items',
  scenario(random: SeededRandom, index: number): ScenarioDefinition {
    const kind = KINDS[index % KINDS.length] ?? KINDS[0];
    if (!kind) throw new Error('Internal error: no record kinds.');
    const draft = baseRecord(random, kind.infant ?? false);
    const planted = kind.plant(draft);
    const rows = layout(random, draft.record);
    const scale = random.pick([0.75, 1, 1, 1, 1.25]);
    // Small type is not also scaled down: at least 12 pixels on the final image.
    const fontSize = random.pick(scale < 1 ? [16, 17, 18, 20] : [14, 15, 16, 17, 18, 20]);
    const rowHeight = Math.min(Math.round(fontSize * random.pick([1.6, 1.8, 2, 2.2])), Math.floor(480 / rows.length));
    return {
      id: `record-${String(index + 1).padStart(4, '0')}-${kind.kind}`,
      category: planted.anomaly ? kind.kind : kind.kind.startsWith('near-miss') ? 'near-miss' : 'clean',
      anomaly: planted.anomaly,
      keywords: planted.keywords,
      note: planted.note,
      form: {
        title: random.pick(TITLES),
        rows,
        'font-size': fontSize,
        'title-size': fontSize + random.int(2, 6),
        'value-x': random.int(230, 330),
        'row-height': rowHeight,
        background: random.pick(BACKGROUNDS),
        ink: random.pick(INKS),
      },
      raster: {
        scale,
        'png-compression': 6,
        ...(random.chance(0.3) ? { 'jpeg-quality': random.int(45, 85) } : {}),
      },
    };
  },
};
