// One progress line on stderr, so stdout carries only the table. On a
// terminal the line is rewritten in place; in a log (CI, node:test) each
// change of step is its own line, and repeats within a step are throttled so
// the log stays readable.

const THROTTLE_MS = 5_000;

/** @param {{ stream?: NodeJS.WriteStream, quiet?: boolean }} [options] */
export const createProgress = ({ stream = process.stderr, quiet = false } = {}) => {
  const started = Date.now();
  const tty = Boolean(stream.isTTY);
  let lastStep = '';
  let lastWrite = 0;
  let open = false;

  const clock = () => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  };

  return {
    /**
     * @param {string} step what is running (a new step always prints)
     * @param {string} [detail] how far it is (throttled off a terminal)
     */
    update(step, detail = '') {
      if (quiet) return;
      const line = `[bench ${clock()}] ${step}${detail ? ` · ${detail}` : ''}`;
      if (tty) {
        stream.write(`\r\x1b[K${line}`);
        open = true;
        return;
      }
      const now = Date.now();
      if (step === lastStep && now - lastWrite < THROTTLE_MS) return;
      lastStep = step;
      lastWrite = now;
      stream.write(`${line}\n`);
    },
    /** Ends the in-place line so the next output starts on a fresh one. */
    done() {
      if (tty && open) stream.write('\r\x1b[K');
      open = false;
    },
  };
};
