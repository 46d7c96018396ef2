-- predictions: what to train and how often (specs), every training run with its data
-- window, parameters and quality (the model registry), and per-profile recommendations.
-- Scores themselves go to profile_predictions (0011), one row per profile and prediction,
-- with a companion '<name>_percentile' prediction (0–100) written alongside.
CREATE TABLE prediction_specs (
    name           VARCHAR PRIMARY KEY,     -- the prediction segments read: prediction("churn")
    kind           VARCHAR NOT NULL,        -- 'clv' | 'propensity' | 'churn' | 'recommend' | 'forecast'
    options        JSON NOT NULL,           -- what was asked (event, window, horizon, ...)
    refresh_hours  DOUBLE,                  -- retrain on the schedule this often (NULL: on demand)
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE TABLE prediction_models (
    model_id     VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    algorithm    VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,          -- 'active' | 'superseded' | 'failed'
    options      JSON NOT NULL,
    data_from    TIMESTAMPTZ,               -- earliest event the training read
    cutoff       TIMESTAMPTZ,               -- features before it, outcomes after it
    data_to      TIMESTAMPTZ,               -- the end of the data window (the run's "now")
    parameters   JSON,
    metrics      JSON,
    rows_trained BIGINT,
    profiles_scored BIGINT,
    error        VARCHAR,
    trained_at   TIMESTAMPTZ NOT NULL,
    seconds      DOUBLE
);
CREATE TABLE profile_recommendations (
    profile_id  VARCHAR NOT NULL,
    model_id    VARCHAR NOT NULL,
    rank        INTEGER NOT NULL,
    item        VARCHAR NOT NULL,
    score       DOUBLE NOT NULL
);
