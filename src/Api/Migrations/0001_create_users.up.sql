-- slipway: backward-compatible
-- Users of the service (seed schema, Migration 001), with NOT NULL defaults, timestamptz and
-- non-negative counters. Emails are stored lower-case by the API; the UNIQUE constraint's index
-- also serves lookups by email, so no separate idx_users_email is needed.
CREATE TABLE users (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email             VARCHAR(255) NOT NULL UNIQUE,
    name              VARCHAR(255),
    password_hash     VARCHAR(255) NOT NULL,
    subscription_tier VARCHAR(50) NOT NULL DEFAULT 'free',
    credits           INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),
    free_videos_used  INTEGER NOT NULL DEFAULT 0 CHECK (free_videos_used >= 0),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX users_created_at_id ON users (created_at, id);
