// The part of lzma-native 8 that packyard uses. (@types/lzma-native describes version 4, whose
// option types no longer match: `check` is one of the numeric constants below, not a string.)
declare module 'lzma-native' {
  import type { Transform } from 'node:stream';

  interface EncoderOptions {
    /** 0-9; note that lzma-native reads 0 as "the default" (6). */
    preset?: number;
    check?: number;
    /** Any value, even 1, selects liblzma's multi-threaded encoder. */
    threads?: number;
  }

  const lzma: {
    CHECK_CRC64: number;
    /** The bundled liblzma's version, e.g. "5.2.3". */
    versionString(): string;
    createCompressor(options?: EncoderOptions): Transform;
  };
  export = lzma;
}
