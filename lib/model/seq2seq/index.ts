// Sequence-to-sequence models: configuration, attention, decoding and the model.
export type { DecodeArgs, Seq2SeqArgs, Seq2SeqCompileArgs, Seq2SeqConfig, Seq2SeqFitArgs } from './config';
export { Seq2Seq, seq2seq } from './model';
