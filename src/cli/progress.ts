// Progress of long runs on stderr: a live line on a terminal, a line every few seconds otherwise.
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr): { update: (done: number, total: number) => void; end: () => void } {
  const started = Date.now();
  let lastPrint = 0;
  let lastText = '';
  const render = (done: number, total: number) => {
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    return `${label}: ${done}/${total} (${Math.floor((100 * done) / Math.max(total, 1))}%, ${secs.toFixed(0)} s, ~${eta} s left)`;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (stream.isTTY) {
        if (now - lastPrint < 100 && done < total) return;
        lastText = render(done, total);
        stream.write(`\r${lastText}\x1b[K`);
      } else {
        if (now - lastPrint < 5000 && done < total) return;
        stream.write(`${render(done, total)}\n`);
      }
      lastPrint = now;
    },
    end() {
      if (stream.isTTY && lastText) stream.write('\n');
    },
  };
}
