// Dataset parsers on small inline samples and on the real npm data packages.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodePhonemes, g2pEntries, g2pFromDictionary, loadCmudict } from '../../lib/data/cmudict';
import { parseCsv } from '../../lib/data/csv';
import { loadNames, namesFromLists } from '../../lib/data/names';
import { MissingDatasetError, requireDataPackage } from '../../lib/data/packages';
import { chronologicalSplit, randomSplit } from '../../lib/data/random';
import { loadSpam, mailTokens, parseMail, spamFromRecords, tokenizeMail } from '../../lib/data/spam';
import { buildVocabulary, padSequences, PAD, UNK } from '../../lib/data/text';
import { textFromTable } from '../../lib/data/user';

describe('CSV reader', () => {
  test('quoted fields with commas, doubled quotes and newlines; CRLF; BOM', () => {
    const t = parseCsv('\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\n');
    expect(t.columns).toEqual(['a', 'b', 'c']);
    expect(t.rows).toEqual([
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
    ]);
  });
  test('errors name the file, the line or row, and what was wrong', () => {
    expect(() => parseCsv('a,b\n1,2,3\n', 'f.csv')).toThrow('f.csv: expected 2 fields (as in the header) in data row 1, but received 3');
    expect(() => parseCsv('a\n"open\n', 'f.csv')).toThrow('f.csv: the quoted field that starts on line 2 is never closed');
    expect(() => parseCsv('a\nx"y\n', 'f.csv')).toThrow('f.csv: line 2: a quote inside an unquoted field');
    expect(() => parseCsv('', 'f.csv')).toThrow('f.csv: expected a header row, but the file is empty');
  });
});

describe('splits', () => {
  test('random split is deterministic per seed, disjoint and complete', () => {
    const a = randomSplit(100, 7);
    expect(randomSplit(100, 7)).toEqual(a);
    expect(randomSplit(100, 8)).not.toEqual(a);
    expect([a.train.length, a.validation.length, a.test.length]).toEqual([70, 15, 15]);
    expect([...a.train, ...a.validation, ...a.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
  test('chronological split keeps time order', () => {
    const s = chronologicalSplit(10, { validation: 0.2, test: 0.2 });
    expect(s).toEqual({ train: [0, 1, 2, 3, 4, 5], validation: [6, 7], test: [8, 9] });
  });
});

describe('vocabulary and padding', () => {
  test('specials first, then by count, ties in code-point order, capped', () => {
    const v = buildVocabulary(
      [
        ['b', 'a', 'c'],
        ['c', 'b', 'd'],
      ],
      [PAD, UNK],
      4,
    );
    expect(v.tokens).toEqual([PAD, UNK, 'b', 'c']);
  });
  test('pre-padding, post-padding, and truncation keeps the first ids', () => {
    expect(
      Array.from(
        padSequences(
          [
            [5, 6],
            [1, 2, 3, 4],
          ],
          3,
          'pre',
        ).data,
      ),
    ).toEqual([0, 5, 6, 1, 2, 3]);
    expect(Array.from(padSequences([[5, 6]], 3, 'post').data)).toEqual([5, 6, 0]);
    expect(padSequences([[5, 6]], 3).dims).toEqual([1, 3]);
  });
});

const MAIL = [
  'From someone@example.com  Thu Aug 22 13:17:22 2002',
  'Received: from mail.example.com (1.2.3.4)',
  'Subject: Cheap meds',
  '\tfor you today',
  'X-Spam-Status: Yes',
  '',
  '<html><b>Buy NOW</b> at http://cheap.example.com/x?y=1 &nbsp; only $99.95!',
  'Mail me: seller@shop.example.com =',
  'soft break',
].join('\n');

describe('spam mails', () => {
  test('only the Subject header is kept, unfolded; the body starts after the first blank line', () => {
    const m = parseMail(MAIL);
    expect(m.subject).toBe('Cheap meds for you today');
    expect(m.body.startsWith('<html>')).toBe(true);
    expect(m.body).not.toContain('Received');
  });
  test('tokens: lower case, HTML dropped, URL/e-mail/number placeholders, quoted-printable soft breaks joined', () => {
    expect(tokenizeMail(parseMail(MAIL).body)).toEqual([
      'buy',
      'now',
      'at',
      '<url>',
      'only',
      '$',
      '<num>',
      '!',
      'mail',
      'me',
      '<email>',
      'soft',
      'break',
    ]);
    const tokens = mailTokens(MAIL);
    expect(tokens.slice(0, 6)).toEqual(['cheap', 'meds', 'for', 'you', 'today', '<body>']);
    expect(tokens).not.toContain('received');
    expect(tokens).not.toContain('x');
  });
  test('records become int32 [N, T] ids and labels; the vocabulary comes from the training split only', () => {
    const records = Array.from({ length: 20 }, (_, i) => ({
      group: i % 2 ? 'spam-1' : 'easy-ham-1',
      text: `Subject: s${i % 2 ? 'buy' : 'meeting'}\n\n${i % 2 ? 'cheap offer' : 'agenda notes'} uniq${String.fromCharCode(97 + i)}`,
    }));
    const d = spamFromRecords(records, { sequenceLength: 6, splitSeed: 3 });
    expect(d.train.x.dims).toEqual([14, 6]);
    expect(d.validation.x.dims).toEqual([3, 6]);
    expect(d.test.y.dims).toEqual([3]);
    const trainWords = new Set<string>();
    const split = randomSplit(20, 3);
    split.train.forEach((i) => trainWords.add(`uniq${String.fromCharCode(97 + i)}`));
    expect(d.vocabulary.tokens.filter((t) => t.startsWith('uniq')).sort()).toEqual([...trainWords].sort());
    expect(d.vocabulary.tokens.slice(0, 3)).toEqual([PAD, UNK, '<body>']);
    expect(spamFromRecords(records, { sequenceLength: 6, splitSeed: 3 })).toEqual(d);
  });
  test('the real corpus: 6,046 mails, about a third spam, vocabulary capped', () => {
    const d = loadSpam({ vocabularySize: 3000, sequenceLength: 50 });
    const n = d.train.y.size + d.validation.y.size + d.test.y.size;
    expect(n).toBe(6046);
    expect(d.vocabulary.tokens.length).toBe(3000);
    const spam = [d.train, d.validation, d.test].reduce((s, p) => s + p.y.data.reduce((a, b) => a + b, 0), 0);
    expect(spam).toBe(1896);
    expect(d.train.x.data.every((id) => id >= 0 && id < 3000)).toBe(true);
  });
});

describe('first names', () => {
  test('names in both lists are dropped by default, or labelled as asked', () => {
    const d = namesFromLists(['Ann', 'Robin', 'Mary'], ['Bob', 'robin', 'John'], { fractions: { validation: 0, test: 0 } });
    expect(d.train.y.size).toBe(4);
    expect(d.notes[0]).toContain('1 in both lists (dropped)');
    const f = namesFromLists(['Ann', 'Robin'], ['Robin', 'Bob'], { ambiguous: 'female', fractions: { validation: 0, test: 0 } });
    const labels = new Map<string, number>();
    for (let n = 0; n < f.train.y.size; n++) {
      const ids = Array.from(f.train.x.data.slice(n * 15, n * 15 + 15)).filter((i) => i > 0);
      labels.set(ids.map((i) => f.vocabulary.tokens[i]).join(''), f.train.y.data[n]);
    }
    expect(labels).toEqual(
      new Map([
        ['ann', 1],
        ['bob', 0],
        ['robin', 1],
      ]),
    );
  });
  test('the real lists: character ids, pre-padded, two classes, deterministic', () => {
    const d = loadNames();
    expect(d.classes).toEqual(['male', 'female']);
    expect(d.train.x.dims[1]).toBe(15);
    expect(d.train.y.size).toBeGreaterThan(5000);
    expect(d.vocabulary.tokens.slice(0, 2)).toEqual([PAD, UNK]);
    expect(d.train.x.data[14]).toBeGreaterThan(1); // the last position always holds a letter
    expect(loadNames().test.y.data).toEqual(d.test.y.data);
  });
});

describe('CMUdict', () => {
  const dict = {
    "DON'T": 'D OW1 N T',
    'A(1)': 'EY1',
    A: 'AH0',
    'A.': 'EY1',
    'AD-HOC': 'AE1 D HH AA1 K',
    A42128: 'EY1',
    CAT: 'K AE1 T',
    DOG: 'D AO1 G',
  };
  test('alternates, abbreviations, hyphenated and digit entries are dropped; stress stripped by default', () => {
    expect(g2pEntries(dict).map((e) => [e.word, e.phonemes.join(' ')])).toEqual([
      ['a', 'AH'],
      ['cat', 'K AE T'],
      ['dog', 'D AO G'],
      ["don't", 'D OW N T'],
    ]);
    expect(g2pEntries(dict, { keepStress: true })[1].phonemes).toEqual(['K', 'AE1', 'T']);
  });
  test('teacher-forcing tensors: <bos> + phonemes in, phonemes + <eos> out, post-padded', () => {
    const d = g2pFromDictionary(dict, { fractions: { validation: 0, test: 0 } });
    expect(d.targetVocabulary.tokens.slice(0, 3)).toEqual(['<pad>', '<bos>', '<eos>']);
    const k = d.train.entries.findIndex((e) => e.word === 'cat');
    const T = d.targetLength;
    const ids = (t: { data: Int32Array }) => Array.from(t.data.slice(k * T, (k + 1) * T));
    const tok = (id: number) => d.targetVocabulary.tokens[id];
    expect(ids(d.train.decoderInput).map(tok)).toEqual(['<bos>', 'K', 'AE', 'T', '<pad>']);
    expect(ids(d.train.decoderTarget).map(tok)).toEqual(['K', 'AE', 'T', '<eos>', '<pad>']);
    expect(decodePhonemes(d.targetVocabulary, ids(d.train.decoderTarget))).toEqual(['K', 'AE', 'T']);
    const S = d.sourceLength;
    expect(Array.from(d.train.source.data.slice(k * S, (k + 1) * S)).map((i) => d.sourceVocabulary.tokens[i])).toEqual([
      'c',
      'a',
      't',
      '<pad>',
      '<pad>',
    ]);
  });
  test('the real dictionary: 123,764 plain words, 39 phonemes without stress', () => {
    const d = loadCmudict({ limit: 2000 });
    expect(d.train.entries.length + d.validation.entries.length + d.test.entries.length).toBe(2000);
    expect(d.notes[0]).toContain('CMUdict: 2000 of 123764 plain words');
    expect(d.targetVocabulary.tokens.length - 3).toBeLessThanOrEqual(39);
    expect(d.train.entries.every((e) => e.phonemes.every((p) => /^[A-Z]+$/.test(p)))).toBe(true);
  });
});

describe('user text CSV', () => {
  test('the text column is found, classes sorted, labels mapped', () => {
    const t = parseCsv('id,text,label\n1,"great, loved it",pos\n2,awful,neg\n3,fine fine,pos\n4,bad bad,neg\n');
    const d = textFromTable('r.csv', t, 'label', { fractions: { validation: 0, test: 0 } });
    expect(d.classes).toEqual(['neg', 'pos']);
    expect(d.notes[0]).toContain('text column "text"');
    expect(() => textFromTable('r.csv', t, 'nope')).toThrow(
      'r.csv (--label): expected a column named "nope", but the columns are: id, text, label',
    );
  });

  test('texts are cut at the length covering 95% of training texts unless --max-tokens says otherwise', () => {
    // 20 texts of 1..20 words: 95% of them have at most 19.
    const rows = Array.from({ length: 20 }, (_, i) => `${Array.from({ length: i + 1 }, () => 'word').join(' ')},${i % 2 ? 'a' : 'b'}`);
    const t = parseCsv(`text,label\n${rows.join('\n')}\n`);
    const d = textFromTable('r.csv', t, 'label', { fractions: { validation: 0, test: 0 } });
    expect(d.sequenceLength).toBe(19);
    expect(d.notes[1]).toBe(
      'texts cut to their first 19 tokens (the length covering 95% of the training texts): 1 of 20 texts (5.0%) lost tokens; the longest had 20',
    );
    const e = textFromTable('r.csv', t, 'label', { fractions: { validation: 0, test: 0 }, sequenceLength: 5 });
    expect(e.train.x.dims[1]).toBe(5);
    expect(e.notes[1]).toBe('texts cut to their first 5 tokens (--max-tokens): 15 of 20 texts (75.0%) lost tokens; the longest had 20');
    expect(() => textFromTable('r.csv', t, 'label', { sequenceLength: 0 })).toThrow(
      'textFromTable: expected sequenceLength to be a positive integer, but received 0',
    );
  });
});

describe('missing data packages', () => {
  test('the error names the package and the install command', () => {
    expect(() => requireDataPackage('@stdlib/datasets-not-there', 'The test task')).toThrow(
      'The test task needs the npm package @stdlib/datasets-not-there, which is not installed. Install it with: npm install --save-dev @stdlib/datasets-not-there',
    );
    expect(() => requireDataPackage('@stdlib/datasets-not-there', 'x')).toThrow(MissingDatasetError);
  });
  test('other failures inside a package are not disguised as a missing package', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-pkg-'));
    const file = path.join(dir, 'broken.js');
    fs.writeFileSync(file, 'throw new Error("broken inside");');
    expect(() => requireDataPackage(file, 'x')).toThrow('broken inside');
    fs.rmSync(dir, { recursive: true });
  });
});
