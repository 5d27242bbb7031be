/*
 * Uuids in PostgreSQL's binary form (uuid_send: 16 bytes, as the text form's hex digits read
 * in order), looked up among a known list without making a string of each.
 */

/** The four 32-bit words of a uuid's text form (dashes ignored). */
function wordsOf(uuid: string): [number, number, number, number] {
  const hex = uuid.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a uuid: ${uuid}`);
  return [0, 8, 16, 24].map((at) => Number.parseInt(hex.slice(at, at + 8), 16)) as [number, number, number, number];
}

/** A hash of four words: every bit of each reaches the slot (time-ordered uuids share their leading words). */
function mix(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w1 ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ w2 ^ (h >>> 13), 0x27d4eb2f);
  h = Math.imul(h ^ w3 ^ (h >>> 16), 0x165667b1);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The position of each uuid of a list, found from its 16 bytes: an open-addressing table over
 * the uuids' words, so that a lookup reads four words and compares them, without a string.
 */
export class UuidPositions {
  private readonly words: Uint32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(uuids: readonly string[]) {
    let size = 16;
    while (size < uuids.length * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    this.words = new Uint32Array(uuids.length * 4);
    uuids.forEach((uuid, position) => {
      const [w0, w1, w2, w3] = wordsOf(uuid);
      this.words.set([w0, w1, w2, w3], position * 4);
      let slot = mix(w0, w1, w2, w3) & this.mask;
      while (this.slots[slot] !== -1) {
        if (this.matches(this.slots[slot]!, w0, w1, w2, w3)) throw new Error(`uuid listed twice: ${uuid}`);
        slot = (slot + 1) & this.mask;
      }
      this.slots[slot] = position;
    });
  }

  private matches(position: number, w0: number, w1: number, w2: number, w3: number): boolean {
    const at = position * 4;
    return this.words[at] === w0 && this.words[at + 1] === w1 && this.words[at + 2] === w2 && this.words[at + 3] === w3;
  }

  /** The position of the uuid of these words, or -1 when it is not listed. */
  private find(w0: number, w1: number, w2: number, w3: number): number {
    for (let slot = mix(w0, w1, w2, w3) & this.mask; ; slot = (slot + 1) & this.mask) {
      const position = this.slots[slot]!;
      if (position === -1 || this.matches(position, w0, w1, w2, w3)) return position;
    }
  }

  /** The position of a uuid given in its text form; an unlisted one is an error. */
  positionOf(uuid: string): number {
    const position = this.find(...wordsOf(uuid));
    if (position === -1) throw new Error(`unlisted uuid: ${uuid}`);
    return position;
  }

  /** The position of each 16-byte uuid in `bytes` (a whole number of them); an unlisted one is an error. */
  positionsOf(bytes: Uint8Array): Int32Array {
    if (bytes.length % 16 !== 0) throw new Error(`binary uuids: ${bytes.length} bytes is not a multiple of 16`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const positions = new Int32Array(bytes.length / 16);
    for (let index = 0; index < positions.length; index += 1) {
      const at = index * 16;
      const position = this.find(view.getUint32(at), view.getUint32(at + 4), view.getUint32(at + 8), view.getUint32(at + 12));
      if (position === -1) throw new Error(`unlisted uuid at byte ${at}`);
      positions[index] = position;
    }
    return positions;
  }
}

/** Big-endian 8-byte floats (float8send) as numbers. */
export function float8s(bytes: Uint8Array): Float64Array {
  if (bytes.length % 8 !== 0) throw new Error(`binary floats: ${bytes.length} bytes is not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float64Array(bytes.length / 8);
  for (let index = 0; index < values.length; index += 1) values[index] = view.getFloat64(index * 8);
  return values;
}
