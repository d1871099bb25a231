/** An append-only file of lines, synced on demand (the consumer batches fsyncs). */
import { open, type FileHandle } from 'node:fs/promises';

export class LineFile {
  private dirty = false;

  private constructor(private readonly fh: FileHandle, readonly path: string) {}

  static async open(path: string): Promise<LineFile> {
    return new LineFile(await open(path, 'a'), path);
  }

  async append(text: string): Promise<void> {
    if (text === '') return;
    await this.fh.appendFile(text, 'utf8');
    this.dirty = true;
  }

  async sync(): Promise<void> {
    if (!this.dirty) return;
    await this.fh.sync();
    this.dirty = false;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
