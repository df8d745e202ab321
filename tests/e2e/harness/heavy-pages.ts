// Pages the heavy-page e2e tests make up in the test server (too big, or too repetitive, to commit): an
// English article of any size, and a short article in another language.
import { SAMPLES } from '../../helpers/language-samples.js';

/** In the first paragraph of the big page: read. */
export const FIRST_FACT = 'The lighthouse keeper of Port Elwood in 1871 was Margaret Hale, who kept the lamp lit for forty years.';
/** In its last paragraph, far past the cap: never read. */
export const LAST_FACT = 'The final ledger entry of the harbour office names Tobias Quill as the last ferryman.';

const TOWNS = ['Ashford', 'Brinley', 'Carrow', 'Dunmere', 'Elstow', 'Fenwick', 'Garron', 'Hollis', 'Ivybridge', 'Jarrow'];

/** An English page of about `chars` characters of article text in <main>, in paragraphs of ~600 characters. */
export function bigPage(chars: number): string {
  const paragraphs: string[] = [`<p>${FIRST_FACT}</p>`];
  let size = FIRST_FACT.length;
  for (let i = 0; size < chars; i++) {
    const town = TOWNS[i % TOWNS.length];
    const p = `Record ${i}: the council of ${town} met in the year ${1800 + (i % 200)} to discuss the harbour, the roads and the school. The minutes say that ${i % 7} members voted for the new bridge and that the treasurer reported a balance of ${(i * 37) % 1000} pounds. Fishing had been good that season, and the market on the square was busy every Saturday. The clerk noted that the lamp at the pier had been repaired twice, and that the ferry to ${TOWNS[(i + 3) % TOWNS.length]} ran every morning except on Sundays and holidays.`;
    paragraphs.push(`<p>${p}</p>`);
    size += p.length + 1;
  }
  paragraphs.push(`<p>${LAST_FACT}</p>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>The complete harbour records</title></head>
<body><header><nav><a href="/">Home</a></nav></header><main><article><h1>The complete harbour records</h1>
${paragraphs.join('\n')}
</article></main><footer><p>Harbour archive</p></footer></body></html>`;
}

export const LANGS = { French: 'fr', German: 'de', Chinese: 'zh', Arabic: 'ar' } as const;

/** A short article in another language (the same story in each; Arabic right to left). */
export function languagePage(name: keyof typeof LANGS): string {
  const text = SAMPLES[name];
  const dir = name === 'Arabic' ? ' dir="rtl"' : '';
  return `<!doctype html><html lang="${LANGS[name]}"${dir}><head><meta charset="utf-8"><title>${name}</title></head>
<body><main><article><p>${text}</p><p>${text}</p><p>${text}</p></article></main></body></html>`;
}

