// Pages of a paged reading (a PDF in the Lens reader): which page an offset of the reading's text is on. Pure.

/** The 0-based page an offset falls on, given where each page's text begins (non-decreasing). */
export function pageAt(pageStarts: readonly number[], offset: number): number {
  // the last page that begins at or before the offset (binary search: a long PDF has thousands of pages)
  let lo = 0;
  let hi = pageStarts.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (pageStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
