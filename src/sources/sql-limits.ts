/**
 * How much a metric query may answer. A query is text from seqpulse.yml, and the row cap alone
 * does not bound an answer: one row can hold a 200-million-character label (a gigabyte of memory
 * in seqpulse, then stored and synced as a metric name). So the answer is bounded as it arrives,
 * and what a sample keeps is bounded before it is stored; past either, the query fails with an
 * error that says which limit, and nothing of it is kept.
 */

/** A label of a (label, value) row: it becomes part of a metric name. */
export const MAX_LABEL_CHARS = 200;
/** A value that is not a number (kept, not judged, so a report can show what came back). */
export const MAX_TEXT_CHARS = 1000;
/** One query's answer as it arrives: bytes on the Postgres wire, or the SQLite reader's cells. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** Names and values one sample keeps, all its queries together (what is stored and synced). */
export const MAX_SAMPLE_CHARS = 4 * 1024 * 1024;

/** A query whose answer passed MAX_ANSWER_BYTES: it is dropped, not the database's fault. */
export class AnswerTooLargeError extends Error {
  constructor() {
    super(`the answer is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB; return one number, or (label, number) rows`);
    this.name = 'AnswerTooLargeError';
  }
}
