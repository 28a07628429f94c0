// What compare knows of a task comes from the task's definition: its data packages and the use
// the `tasks` claim tests it for.
import { claimsPlan } from '../../lib/compare/claims';
import { TASKS } from '../../lib/tasks';
import { ANBN_SHAPE, LAG_SHAPES, NAMES_SHAPE, speedShape } from '../../lib/tasks/claims';

test('the tasks claim runs the tasks whose definitions name a use, with their margins and quick epochs', () => {
  expect(claimsPlan(false).tasks.ids).toEqual([
    { task: 'spam', favours: 'gru', use: 'text classification', margin: 0.01, epochs: 2 },
    { task: 'g2p', favours: 'lstm', use: 'translation (spelling → phonemes)', margin: 0.01, epochs: 4 },
    { task: 'sp500', favours: 'lstm', use: 'stock prediction', margin: 0.01, epochs: null },
    { task: 'weather', favours: 'gru', use: 'weather', margin: 0.1, epochs: null },
  ]);
  expect(claimsPlan(true).tasks.ids.map((t) => t.epochs)).toEqual([null, null, null, null]);
  expect(claimsPlan(false).tasks.ids.map((t) => t.task)).toEqual(TASKS.filter((t) => t.claim).map((t) => t.id));
});

test('the claims experiments state the shapes their models are built with', () => {
  expect(LAG_SHAPES).toEqual({
    recall: { inputSize: 8, layers: 1, headOutputs: 8 },
    adding: { inputSize: 2, layers: 1, headOutputs: 1 },
    copy: { inputSize: 8, layers: 1, headOutputs: 9 },
  });
  expect(ANBN_SHAPE).toEqual({ inputSize: 4, layers: 1, headOutputs: 4 });
  expect(NAMES_SHAPE).toEqual({ inputSize: 16, layers: 1, headOutputs: 2 });
  expect(speedShape(32)).toEqual({ inputSize: 32, layers: 1, headOutputs: 1 });
});
