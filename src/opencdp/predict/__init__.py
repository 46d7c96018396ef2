"""Predictions: purchase and spend models (CLV), propensity and churn, next product, forecasts.

Each model is fitted from the profile tables (`profile_events`, `profiles`), reports how good
it is on data it was not fitted on, is recorded in the model registry (`prediction_models`),
and writes its scores to `profile_predictions`, where segments read them as
`prediction("name")`. The numerical cores (`btyd/`, `metrics`, `recommend`, `forecast`) take
and return numpy arrays and know nothing of the database.
"""
