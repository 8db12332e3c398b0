export { ValueKeys } from './value-keys';
export { buildReviewIndex, maskedForm, LINE_INDEX_STEP } from './review-index';
export { readLines, MAX_LINE_BYTES, MAX_MANUAL_SPAN_BYTES, SPAN_LOOKBACK_BYTES } from './line-window';
export type { RawLine } from './line-window';
export { findAll, lineAt } from './find-bytes';
