// Is this text English? The QA models are trained on English (SQuAD), so the popup warns when a page is in
// another language. Only that yes/no (and, where the text makes it plain, a name for people) is needed, so this
// is a small hand-written check rather than a language-identification library (franc-min, tinyld, eld: 150-500
// KB of n-gram tables for ~80 languages, and still unsure on short text): the share of letters in each script,
// and for Latin-script text the share of very frequent function words of English and six other common
// languages. Pure: no browser or engine imports, so it is unit-tested in Node.

export type Script = 'latin' | 'cyrillic' | 'greek' | 'arabic' | 'hebrew' | 'devanagari' | 'thai' | 'han' | 'kana' | 'hangul' | 'other';

export interface LanguageGuess {
  /** true when the text reads as English (or cannot be told apart from it) */
  english: boolean;
  /** the script most of its letters are in */
  script: Script;
  /** the language's name in English where the text makes it plain, e.g. 'French', 'Chinese' */
  name?: string;
}

/** Characters looked at: the start of the text and a slice from its middle are plenty and keep the check cheap. */
const SAMPLE_CHARS = 12_000;
/** Fewer letters than this: too little to tell (no notice). */
const MIN_LETTERS = 60;
/** Latin text: fewer words than this: too little to tell. */
const MIN_WORDS = 25;

const SCRIPTS: ReadonlyArray<[Script, RegExp]> = [
  ['latin', /\p{Script=Latin}/u],
  ['cyrillic', /\p{Script=Cyrillic}/u],
  ['greek', /\p{Script=Greek}/u],
  ['arabic', /\p{Script=Arabic}/u],
  ['hebrew', /\p{Script=Hebrew}/u],
  ['devanagari', /\p{Script=Devanagari}/u],
  ['thai', /\p{Script=Thai}/u],
  ['han', /\p{Script=Han}/u],
  ['kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['hangul', /\p{Script=Hangul}/u],
];

/** Names for scripts that (nearly) tell the language; Cyrillic, Arabic and Devanagari serve several. */
const SCRIPT_NAMES: Partial<Record<Script, string>> = { greek: 'Greek', hebrew: 'Hebrew', thai: 'Thai', han: 'Chinese', kana: 'Japanese', hangul: 'Korean' };

/**
 * The most frequent function words of each language, chosen to overlap little with English: in running text
 * they make up 25-45% of the words of their language and under 3% of English ones.
 */
const FUNCTION_WORDS: Readonly<Record<string, readonly string[]>> = {
  English: ['the', 'of', 'and', 'to', 'is', 'that', 'it', 'for', 'was', 'with', 'by', 'this', 'from', 'are', 'were', 'which', 'have', 'has', 'had', 'not', 'but', 'his', 'they', 'their', 'be', 'been', 'at', 'or', 'will', 'would', 'can', 'also', 'there', 'than', 'these', 'what', 'when', 'who', 'into', 'about', 'its', 'after', 'she', 'he', 'we', 'you', 'on', 'in', 'a', 'an'],
  French: ['le', 'la', 'les', 'de', 'des', 'du', 'et', 'est', 'un', 'une', 'que', 'qui', 'dans', 'pour', 'pas', 'sur', 'au', 'aux', 'avec', 'par', 'sont', 'ce', 'il', 'elle', 'nous', 'plus', 'été', 'sa', 'son', 'ses', 'leur', 'mais'],
  German: ['der', 'die', 'das', 'und', 'ist', 'nicht', 'ein', 'eine', 'mit', 'von', 'den', 'dem', 'zu', 'auf', 'für', 'sich', 'des', 'im', 'auch', 'wird', 'sind', 'werden', 'oder', 'aus', 'bei', 'wurde', 'einer', 'nach', 'wie', 'noch', 'über'],
  Spanish: ['el', 'la', 'los', 'las', 'de', 'del', 'y', 'que', 'en', 'es', 'un', 'una', 'por', 'con', 'para', 'no', 'se', 'su', 'al', 'lo', 'como', 'más', 'pero', 'sus', 'fue', 'entre', 'está', 'también'],
  Italian: ['il', 'lo', 'la', 'gli', 'le', 'di', 'del', 'della', 'che', 'e', 'è', 'un', 'una', 'per', 'con', 'non', 'sono', 'nel', 'nella', 'alla', 'anche', 'più', 'da', 'dei', 'delle', 'era', 'questo'],
  Portuguese: ['o', 'os', 'a', 'as', 'de', 'do', 'da', 'dos', 'das', 'e', 'que', 'em', 'um', 'uma', 'para', 'com', 'não', 'no', 'na', 'por', 'mais', 'se', 'é', 'foi', 'são', 'ao', 'pelo', 'pela'],
  Dutch: ['de', 'het', 'een', 'en', 'van', 'is', 'dat', 'op', 'te', 'niet', 'met', 'zijn', 'voor', 'er', 'aan', 'ook', 'als', 'bij', 'door', 'maar', 'om', 'wordt', 'worden', 'werd', 'naar', 'heeft'],
};

const WORD_SETS = Object.entries(FUNCTION_WORDS).map(([name, words]) => [name, new Set(words)] as const);

/** English wins unless another language's function words are clearly more frequent than English ones. */
const OTHER_MIN_SHARE = 0.12;
const OTHER_OVER_ENGLISH = 2;

function sample(text: string): string {
  if (text.length <= SAMPLE_CHARS) return text;
  const half = SAMPLE_CHARS / 2;
  const mid = Math.floor(text.length / 2);
  return `${text.slice(0, half)}\n${text.slice(mid, mid + half)}`;
}

function scriptOf(ch: string): Script {
  for (const [script, re] of SCRIPTS) if (re.test(ch)) return script;
  return 'other';
}

/**
 * Guesses whether `text` is English. undefined when there is too little text to tell (no notice is due then).
 * Non-Latin scripts decide by letter share; Latin text by function words (English when unsure: a list of names
 * or product codes should not draw a warning).
 */
export function guessLanguage(text: string): LanguageGuess | undefined {
  const s = sample(text);
  const counts = new Map<Script, number>();
  let letters = 0;
  for (const m of s.matchAll(/\p{L}/gu)) {
    const script = scriptOf(m[0]);
    counts.set(script, (counts.get(script) ?? 0) + 1);
    letters++;
  }
  if (letters < MIN_LETTERS) return undefined;
  // Japanese mixes kana with Han: any real share of kana makes it Japanese
  const kana = counts.get('kana') ?? 0;
  if (kana >= letters * 0.1 && kana + (counts.get('han') ?? 0) >= letters / 2) return { english: false, script: 'kana', name: 'Japanese' };
  let top: Script = 'other';
  let topCount = 0;
  for (const [script, n] of counts) {
    if (n > topCount) {
      top = script;
      topCount = n;
    }
  }
  if (top !== 'latin') {
    // most letters outside the Latin script: not English (an English page quoting some Chinese stays English)
    const guess: LanguageGuess = { english: false, script: top };
    const name = SCRIPT_NAMES[top];
    return name ? { ...guess, name } : guess;
  }
  const words = (s.toLowerCase().match(/\p{L}+/gu) ?? []) as string[];
  if (words.length < MIN_WORDS) return undefined;
  const shares = WORD_SETS.map(([name, set]) => [name, words.filter((w) => set.has(w)).length / words.length] as const);
  const english = shares.find(([name]) => name === 'English')?.[1] ?? 0;
  let best: readonly [string, number] | undefined;
  for (const entry of shares) if (entry[0] !== 'English' && (!best || entry[1] > best[1])) best = entry;
  if (best && best[1] >= OTHER_MIN_SHARE && best[1] > english * OTHER_OVER_ENGLISH) return { english: false, script: 'latin', name: best[0] };
  return { english: true, script: 'latin', name: 'English' };
}

/** The popup's sentence about a non-English page ("This page seems to be in French."). */
export function languageNoticeText(guess: LanguageGuess, scope: 'page' | 'selection'): string {
  const what = scope === 'selection' ? 'Your selection' : 'This page';
  return guess.name ? `${what} seems to be in ${guess.name}.` : `${what} does not seem to be in English.`;
}
