/** Defaults overridden by the options that are set; an option given as undefined keeps its default. */
export function withDefaults<T extends object>(defaults: T, options: Partial<T>): T {
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as Array<keyof T>) {
    const value = options[key];
    if (value !== undefined) out[key] = value as T[keyof T];
  }
  return out;
}
