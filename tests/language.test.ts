// The popup's "the model reads English" check (src/shared/language.ts) on paragraphs of real prose.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guessLanguage, languageNoticeText } from '../src/shared/language.js';
import { SAMPLES } from './helpers/language-samples.js';


test('English prose is English', () => {
  assert.deepEqual(guessLanguage(SAMPLES.English), { english: true, script: 'latin', name: 'English' });
});

for (const name of ['French', 'German', 'Spanish', 'Italian', 'Portuguese', 'Dutch'] as const) {
  test(`${name} prose is not English and is named`, () => {
    assert.deepEqual(guessLanguage(SAMPLES[name]), { english: false, script: 'latin', name });
  });
}

test('text in other scripts is not English; the script names the language where it can', () => {
  assert.deepEqual(guessLanguage(SAMPLES.Chinese), { english: false, script: 'han', name: 'Chinese' });
  assert.deepEqual(guessLanguage(SAMPLES.Japanese), { english: false, script: 'kana', name: 'Japanese' });
  assert.deepEqual(guessLanguage(SAMPLES.Korean), { english: false, script: 'hangul', name: 'Korean' });
  // Arabic and Cyrillic letters serve several languages: no name, only "not English"
  assert.deepEqual(guessLanguage(SAMPLES.Arabic), { english: false, script: 'arabic' });
  assert.deepEqual(guessLanguage(SAMPLES.Russian), { english: false, script: 'cyrillic' });
});

test('an English page quoting other languages stays English; a mostly foreign page with English words does not', () => {
  const english = `${SAMPLES.English} ${SAMPLES.English} The plaque reads: ${SAMPLES.Chinese.slice(0, 20)} and, in French, « le pont ».`;
  assert.equal(guessLanguage(english)?.english, true);
  const french = `${SAMPLES.French} ${SAMPLES.French} (in English: the bridge of the river)`;
  assert.deepEqual(guessLanguage(french), { english: false, script: 'latin', name: 'French' });
});

test('too little text, or text without function words, draws no warning', () => {
  assert.equal(guessLanguage(''), undefined);
  assert.equal(guessLanguage('Le pont.'), undefined);
  assert.equal(guessLanguage('图片'), undefined);
  // a product list: no function words of any language; not flagged as foreign
  const list = Array.from({ length: 40 }, (_, i) => `Widget${i} Deluxe Model XR${i} Blue`).join('\n');
  assert.equal(guessLanguage(list)?.english, true);
});

test('a long page is judged on a sample: English site chrome before German text does not make it English', () => {
  const long = `Accept cookies. We use cookies to improve this site and to show you relevant content. Read our privacy policy. ${SAMPLES.German.repeat(400)}`;
  assert.ok(long.length > 100_000);
  assert.deepEqual(guessLanguage(long), { english: false, script: 'latin', name: 'German' });
  assert.equal(guessLanguage(SAMPLES.English.repeat(400))?.english, true);
});

test('the notice sentence names the language where known', () => {
  assert.equal(languageNoticeText({ english: false, script: 'latin', name: 'French' }, 'page'), 'This page seems to be in French.');
  assert.equal(languageNoticeText({ english: false, script: 'arabic' }, 'selection'), 'Your selection does not seem to be in English.');
});
