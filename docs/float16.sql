-- DuckDB macros that decode the cache's float16 columns (IEEE 754 binary16, little-endian, packed in a BYTE_ARRAY per
-- row: a float16 `logits` or extra-output column, a top-K cache's float16 `topk_logits`) to FLOAT[].
-- Parquet.Net 6.1 cannot write Parquet's FLOAT16 logical type, so other tools see these columns as BLOBs.
--   duckdb -init docs/float16.sql
--   SELECT index, distill_float16(logits) AS logits FROM 'caches/fmnist-train-f16/*.parquet';
-- numpy: np.frombuffer(row, dtype='<f2').astype(np.float32); pyarrow: the column is binary.

-- One binary16 value given as its 16 bits u (0..65535).
CREATE OR REPLACE MACRO distill_half_bits(u) AS CAST(
    (CASE WHEN u >= 32768 THEN -1.0 ELSE 1.0 END) *
    (CASE (u >> 10) & 31
        WHEN 0 THEN (u & 1023) * pow(2.0, -24)                                  -- zero and subnormals
        WHEN 31 THEN (CASE WHEN (u & 1023) = 0 THEN 'Infinity'::DOUBLE ELSE 'NaN'::DOUBLE END)
        ELSE ((u & 1023) + 1024) * pow(2.0, ((u >> 10) & 31) - 25)               -- normal: (1 + m/1024) · 2^(e−15)
     END) AS FLOAT);

-- A BLOB of 2·n bytes to FLOAT[n]: hex() once per row, then each 4-digit group is one value (low byte first).
CREATE OR REPLACE MACRO distill_float16(b) AS
    list_transform(regexp_extract_all(hex(b), '[0-9A-F]{4}'),
                   h -> distill_half_bits(('0x' || h[3:4] || h[1:2])::INTEGER));
