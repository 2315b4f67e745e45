// The part of busboy 1.6 (no bundled types, no @types/busboy installed) the S3 front uses.
declare module 'busboy' {
  import type { IncomingHttpHeaders } from 'node:http';
  import type { Readable, Writable } from 'node:stream';

  namespace busboy {
    interface Limits { fieldSize?: number; fields?: number; fileSize?: number; files?: number; parts?: number; headerPairs?: number }
    interface Config { headers: IncomingHttpHeaders; limits?: Limits; preservePath?: boolean; defParamCharset?: string }
    interface FieldInfo { nameTruncated: boolean; valueTruncated: boolean; encoding: string; mimeType: string }
    interface FileInfo { filename: string | undefined; encoding: string; mimeType: string }
    interface Busboy extends Writable {
      on(event: 'field', listener: (name: string, value: string, info: FieldInfo) => void): this;
      on(event: 'file', listener: (name: string, stream: Readable, info: FileInfo) => void): this;
      on(event: 'close' | 'finish', listener: () => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
      on(event: string, listener: (...args: any[]) => void): this;
    }
  }
  function busboy(config: busboy.Config): busboy.Busboy;
  export = busboy;
}
