-- Rate-limit buckets (internal/ratelimit): each bucket's theoretical
-- arrival time in Unix nanoseconds. A row whose tat has passed is an empty
-- bucket, so such rows may be deleted at any time.
CREATE TABLE rate_limit_buckets (
    key TEXT   NOT NULL PRIMARY KEY,
    tat BIGINT NOT NULL
);

-- Sweeping passed buckets looks them up by time.
CREATE INDEX rate_limit_buckets_by_tat ON rate_limit_buckets (tat);
