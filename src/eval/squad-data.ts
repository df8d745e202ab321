// Reads the SQuAD v1.1 dev reference data (see ../shared/data/README.md) with clear errors.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SquadQuestion {
  id: string;
  question: string;
  /** index into contexts */
  context: number;
  /** index into articles */
  article: number;
  answers: string[];
}

export interface SquadArticle {
  title: string;
  /** indices into contexts, in page order */
  paragraphs: number[];
}

export interface SquadData {
  contexts: string[];
  articles: SquadArticle[];
  questions: SquadQuestion[];
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path} not found (is --data the squad-v1.1-dev folder?)` : `cannot read ${path}: ${(err as Error).message}`);
  }
}

export async function readJsonLines<T>(path: string, check: (value: unknown) => value is T): Promise<T[]> {
  const lines = (await readText(path)).split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${i + 1} is not valid JSON`);
    }
    if (!check(value)) throw new Error(`${path}:${i + 1} does not have the expected fields`);
    out.push(value);
  });
  return out;
}

function isQuestion(v: unknown): v is SquadQuestion {
  const q = v as SquadQuestion;
  return typeof v === 'object' && v !== null && typeof q.id === 'string' && typeof q.question === 'string' &&
    Number.isInteger(q.context) && Number.isInteger(q.article) && Array.isArray(q.answers);
}

export async function loadSquad(dataDir: string): Promise<SquadData> {
  const contextsPath = join(dataDir, 'contexts.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readText(contextsPath));
  } catch (err) {
    throw err instanceof SyntaxError ? new Error(`${contextsPath} is not valid JSON`) : err;
  }
  const { contexts, articles } = parsed as Partial<SquadData>;
  if (!Array.isArray(contexts) || !Array.isArray(articles)) throw new Error(`${contextsPath} must hold { contexts, articles }`);
  const questions = await readJsonLines(join(dataDir, 'questions.jsonl'), isQuestion);
  for (const q of questions) {
    if (q.context < 0 || q.context >= contexts.length) throw new Error(`question ${q.id} names context ${q.context}, which does not exist`);
  }
  return { contexts, articles, questions };
}
