// A JavaScript port of package aeir/text's tokeniser, for the onnxruntime-web
// side of the benchmark (the exported sentence encoder starts from the
// tokeniser's output). The benchmark checks its ids against the Go
// engine's (aeir.tokenIDs) on every query before timing anything.
const OFFSET = 2166136261, PRIME = 16777619;
const SEP = /[^\p{L}\p{Nd}\p{M}]+/u;
const HAS = /[\p{L}\p{Nd}]/u;
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

function hashRunes(kind, rs) {
  let h = Math.imul(OFFSET ^ kind, PRIME) >>> 0;
  for (let r of rs) {
    while (r !== 0 || h === 0) {
      h = Math.imul((h ^ (r & 0xff)) >>> 0, PRIME) >>> 0;
      r >>>= 8;
      if (r === 0) break;
    }
    h = Math.imul((h ^ 0xff) >>> 0, PRIME) >>> 0;
  }
  return h;
}

export function words(s) {
  return s.normalize('NFKC').toLowerCase().split(SEP).filter((w) => w !== '' && HAS.test(w));
}

// ids appends the hashed ids of s to out (a plain array) and returns it.
export function ids(tok, s, out = []) {
  const b = tok.buckets;
  for (const w of words(s)) {
    const rs = Array.from(w, (c) => c.codePointAt(0));
    out.push(hashRunes(0x77, rs) % b); // 'w'
    const buf = [0x3c, ...rs, 0x3e];    // '<' word '>'
    for (let n = tok.min_n; n <= tok.max_n; n++) {
      if (n >= buf.length) break;
      for (let i = 0; i + n <= buf.length; i++) out.push(hashRunes(0x6e, buf.slice(i, i + n)) % b); // 'n'
    }
    for (const r of rs) if (UNSPACED.test(String.fromCodePoint(r))) out.push(hashRunes(0x63, [r]) % b); // 'c'
  }
  return out;
}
