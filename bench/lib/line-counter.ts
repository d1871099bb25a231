/** Counts complete lines in a directory's output files, reading only what was appended since the last call. */
import { TailFiles } from './tail-files.js';

export class LineCounter {
  lines = 0;
  private readonly tail: TailFiles;

  constructor(dir: string) {
    this.tail = new TailFiles(dir);
  }

  update(): number {
    this.tail.read((_file, bytes, length) => {
      for (let i = bytes.indexOf(10); i !== -1 && i < length; i = bytes.indexOf(10, i + 1)) this.lines++;
    });
    return this.lines;
  }
}
