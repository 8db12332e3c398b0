-- Open chunks keep their lines outside the database, in an encrypted append-only file per chunk
-- ({data_dir}/chunks/<chunk id>.open, libs/storage/src/chunk-file.ts), so that a group commit carries only the
-- chunk's new committed length, not the lines. file_bytes is that length: the file's bytes up to it were
-- acknowledged (2xx); bytes past it never were, and are cut off at start and before the chunk closes.
-- NULL: the chunk has no file (its lines, if any, are in log_stream_parts, as appended before this migration).
ALTER TABLE log_stream_chunks ADD COLUMN file_bytes INTEGER CHECK (file_bytes IS NULL OR file_bytes >= 0);
