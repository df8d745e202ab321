// Validation of what users type into settings (pure: also unit-tested in Node).

export function checkHubUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error(`"${url}" is not a URL (expected e.g. https://huggingface.co)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`the hub URL must be http(s), not ${parsed.protocol}`);
  return parsed.href.replace(/\/+$/, '');
}

/** Candidate labels from user input: trimmed, non-empty, no duplicates, at least two. */
export function checkLabels(labels: readonly string[]): string[] {
  const out = [...new Set(labels.map((l) => l.trim()).filter((l) => l.length > 0))];
  if (out.length < 2) throw new Error('give at least two different labels');
  if (out.some((l) => l.length > 100)) throw new Error('a label may be at most 100 characters');
  return out;
}
