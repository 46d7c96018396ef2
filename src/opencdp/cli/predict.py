"""`opencdp predict ...`: lifetime value, propensity and churn, next product, forecasts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from

AS_OF = click.option("--as-of", help="Train as if it were this ISO time (backtests).")
REFRESH = click.option("--refresh-hours", type=float,
                       help="Retrain on the server's schedule this often.")  # fmt: skip
JSON = click.option("--json", "as_json", is_flag=True)


@click.group()
def predict() -> None:
    """Predictions: CLV, purchase and churn propensity, next product, sales forecasts."""


def _train(ctx: click.Context, kind: str, name: str | None, options: dict[str, Any],
           refresh_hours: float | None, as_of: str | None, as_json: bool) -> None:  # fmt: skip
    with open_backend(settings_from(ctx)) as backend:
        model = backend.train_prediction(kind, name, options, refresh_hours, as_of)
    emit(model, as_json, summary(model))


def summary(model: dict[str, Any]) -> str:
    """A few lines a person reads: what was trained and how good it is."""
    m = model["metrics"]
    head = (f"{model['name']} ({model['kind']}, {model['algorithm']}): {model['model_id']},"
            f" {model['profiles_scored']:,} profiles scored in {model['seconds']} s")
    lines = [head]
    if model["kind"] == "clv":
        h = m.get("holdout", {})
        lines.append(f"  parameters {json.dumps(model['parameters']['purchases'])}"
                     f" spend {json.dumps(model['parameters']['spend'])}")  # fmt: skip
        lines.append(f"  holdout {h.get('days')} days: correlation {h.get('correlation')},"
                     f" predicted {h.get('predicted_purchases')} vs actual"
                     f" {h.get('actual_purchases')} purchases" if "days" in h else
                     f"  holdout: {h.get('skipped')}")  # fmt: skip
        lines.append(f"  mean CLV {m['mean_clv']}, mean P(alive) {m['mean_alive']}")
    elif model["kind"] in ("propensity", "churn"):
        lines.append(f"  AUC {m['auc']} (recency alone {m['recency_baseline_auc']}), log loss"
                     f" {m['log_loss']}, top-decile lift {m['top_decile_lift']},"
                     f" base rate {m['base_rate']}")  # fmt: skip
        lines += [f"  decile {d['decile']:>2}: predicted {d['predicted']:.3f}"
                  f" observed {d['observed']:.3f} lift {d['lift']}" for d in m["calibration"]]
    elif model["kind"] == "recommend":
        lines.append(f"  recall@10 {m['recall@10']} vs most popular {m['popular_recall@10']};"
                     f" NDCG@10 {m['ndcg@10']} vs {m['popular_ndcg@10']}"
                     f" ({m['profiles_evaluated']} profiles)")  # fmt: skip
    elif model["kind"] == "forecast":
        lines.append(f"  holdout MAPE {m['mape']} vs {m['baseline']} {m['seasonal_naive_mape']}")
        lines += [f"  {f['period'][:10]}  {f['value']:>12,.2f}  ({f['low']:,.2f} –"
                  f" {f['high']:,.2f})" for f in m["forecast"]]  # fmt: skip
    return "\n".join(lines)


def _options(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@predict.command("clv")
@click.option("--name", default=None, help="Prediction name (default clv).")
@click.option("--model", type=click.Choice(["bgnbd", "pareto_nbd"]))
@click.option("--horizon-days", type=float, help="CLV horizon (default 365).")
@click.option("--discount", type=float, help="Annual discount rate (default 0.1).")
@click.option("--margin", type=float, help="Share of order value that is margin (default 1).")
@click.option("--purchase-days", type=float, help="Expected purchases over (default 90).")
@click.option("--holdout-days", type=float, help="Validation holdout (default 90).")
@click.option("--event", help="The order event (default 'Order Completed').")
@REFRESH
@AS_OF
@JSON
@click.pass_context
def clv(ctx: click.Context, name: str | None, model: str | None, horizon_days: float | None,
        discount: float | None, margin: float | None, purchase_days: float | None,
        holdout_days: float | None, event: str | None, refresh_hours: float | None,
        as_of: str | None, as_json: bool) -> None:  # fmt: skip
    """Lifetime value, P(alive), expected purchases and order value (BG/NBD or Pareto/NBD with
    Gamma-Gamma)."""
    options = _options(model=model, horizon_days=horizon_days, discount=discount,
                       margin=margin, purchase_days=purchase_days, holdout_days=holdout_days,
                       event=event)  # fmt: skip
    _train(ctx, "clv", name, options, refresh_hours, as_of, as_json)


def _classifier_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--days", type=int, help="The outcome window in days."),
        click.option("--algorithm", type=click.Choice(["gbm", "logistic"])),
        click.option("--lookback-days", type=int,
                     help="Profiles active within this many days are scored (default 365)."),
        REFRESH, AS_OF, JSON,
    ]):  # fmt: skip
        fn = option(fn)
    return fn


@predict.command("propensity")
@click.argument("name")
@click.option("--event", help="The event to predict (default 'Order Completed').")
@_classifier_options
@click.pass_context
def propensity(ctx: click.Context, name: str, event: str | None, days: int | None,
               algorithm: str | None, lookback_days: int | None, refresh_hours: float | None,
               as_of: str | None, as_json: bool) -> None:  # fmt: skip
    """Likelihood of EVENT within --days (default 30), as prediction NAME; e.g.
    `opencdp predict propensity email_open --event "Email Opened" --days 14`."""
    options = _options(event=event, days=days, algorithm=algorithm, lookback_days=lookback_days)
    _train(ctx, "propensity", name, options, refresh_hours, as_of, as_json)


@predict.command("churn")
@click.option("--name", default=None, help="Prediction name (default churn).")
@_classifier_options
@click.pass_context
def churn(ctx: click.Context, name: str | None, days: int | None, algorithm: str | None,
          lookback_days: int | None, refresh_hours: float | None, as_of: str | None,
          as_json: bool) -> None:  # fmt: skip
    """Likelihood of no activity at all within --days (default 60)."""
    options = _options(days=days, algorithm=algorithm, lookback_days=lookback_days)
    _train(ctx, "churn", name, options, refresh_hours, as_of, as_json)


@predict.command("recommend")
@click.option("--name", default=None, help="Prediction name (default next_product).")
@click.option("--profile", help="Show the recommendations of this profile instead of training.")
@click.option("--by", type=click.Choice(["product", "category"]))
@click.option("--top", type=int, help="Items per profile (default 10).")
@click.option("--include-purchased", is_flag=True, help="Also recommend what they bought.")
@click.option("--algorithm", type=click.Choice(["ease", "cooccurrence"]))
@click.option("--holdout-days", type=float, help="Validation holdout (default 30).")
@REFRESH
@AS_OF
@JSON
@click.pass_context
def recommend(ctx: click.Context, name: str | None, profile: str | None, by: str | None,
              top: int | None, include_purchased: bool, algorithm: str | None,
              holdout_days: float | None, refresh_hours: float | None, as_of: str | None,
              as_json: bool) -> None:  # fmt: skip
    """Top products (or categories) to offer each profile next."""
    if profile is not None:
        with open_backend(settings_from(ctx)) as backend:
            found = backend.profile_recommendations(profile, name or "next_product", top or 10)
        text = "\n".join(f"{i['rank']:>3}  {i['item']}  {i['score']:.4f}" for i in found["items"])
        emit(found, as_json, text or "no recommendations")
        return
    options = _options(by=by, top=top, algorithm=algorithm, holdout_days=holdout_days,
                       exclude_purchased=False if include_purchased else None)  # fmt: skip
    _train(ctx, "recommend", name, options, refresh_hours, as_of, as_json)


@predict.command("forecast")
@click.option("--name", default=None, help="Prediction name (default sales).")
@click.option("--period", type=click.Choice(["week", "month"]))
@click.option("--horizon", type=int, help="Periods ahead (default 8 weeks or 3 months).")
@click.option("--measure", type=click.Choice(["revenue", "orders"]))
@REFRESH
@AS_OF
@JSON
@click.pass_context
def forecast(ctx: click.Context, name: str | None, period: str | None, horizon: int | None,
             measure: str | None, refresh_hours: float | None, as_of: str | None,
             as_json: bool) -> None:  # fmt: skip
    """Sales per week or month ahead, with its holdout error against seasonal-naive."""
    options = _options(period=period, horizon=horizon, measure=measure)
    _train(ctx, "forecast", name, options, refresh_hours, as_of, as_json)


@predict.command("trends")
@click.option("--by", type=click.Choice(["product", "category"]), default="product")
@click.option("--days", default=30, show_default=True)
@click.option("--limit", default=10, show_default=True)
@AS_OF
@JSON
@click.pass_context
def trends(ctx: click.Context, by: str, days: int, limit: int, as_of: str | None,
           as_json: bool) -> None:  # fmt: skip
    """Popular, rising and falling products: the last --days against the --days before."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.prediction_trends(by, days, limit, as_of)
    lines = []
    for part in ("popular", "rising", "falling"):
        lines.append(f"{part}:")
        lines += [f"  {x['item']}\t{x['recent']} (was {x['previous']})" for x in found[part]]
    emit(found, as_json, "\n".join(lines))


@predict.command("lists")
@click.argument("which", type=click.Choice(["high_value", "declining"]))
@click.option("--limit", default=100, show_default=True)
@click.option("--days", default=30, show_default=True, help="Recent window for 'declining'.")
@AS_OF
@JSON
@click.pass_context
def lists(ctx: click.Context, which: str, limit: int, days: int, as_of: str | None,
          as_json: bool) -> None:  # fmt: skip
    """High-value customers, or customers whose engagement is declining."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.prediction_list(which, limit, days, as_of)
    text = "\n".join("\t".join(str(v) for v in p.values()) for p in found["profiles"])
    emit(found, as_json, text or "nobody")


@predict.command("list")
@JSON
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Every prediction with its last training."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_predictions()
    text = "\n".join(f"{p['name']}\t{p['kind']}\t{p['last_status']}\t{p['last_trained_at']}"
                     f"\trefresh {p['refresh_hours'] or '-'} h" for p in found)  # fmt: skip
    emit(found, as_json, text or "no predictions")


@predict.command("show")
@click.argument("name")
@JSON
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """A prediction and its latest model with every quality figure."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.get_prediction(name)
    emit(found, as_json, summary(found["model"]) if found.get("model") else found["name"])


@predict.command("models")
@click.argument("name", required=False)
@click.option("--limit", default=20, show_default=True)
@JSON
@click.pass_context
def models(ctx: click.Context, name: str | None, limit: int, as_json: bool) -> None:
    """The model registry: each training's data window, parameters, metrics and time."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_prediction_models(name, limit)
    text = "\n".join(f"{m['model_id']}\t{m['name']}\t{m['algorithm']}\t{m['status']}\t"
                     f"{m['trained_at']}\t{m['seconds']} s{'  ' + m['error'] if m['error'] else ''}"
                     for m in found)  # fmt: skip
    emit(found, as_json, text or "no models")


@predict.command("scores")
@click.argument("name")
@click.option("--limit", default=20, show_default=True)
@click.option("--offset", default=0, show_default=True)
@JSON
@click.pass_context
def scores(ctx: click.Context, name: str, limit: int, offset: int, as_json: bool) -> None:
    """The highest scores of prediction NAME, with percentiles."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.prediction_scores(name, limit, offset)
    text = "\n".join(f"{s['profile_id']}\t{s['value']:.4f}\t{s['percentile']}\t{s['label'] or ''}"
                     for s in found)  # fmt: skip
    emit(found, as_json, text or "no scores")


@predict.command("refresh")
@AS_OF
@JSON
@click.pass_context
def refresh(ctx: click.Context, as_of: str | None, as_json: bool) -> None:
    """Retrain the predictions whose refresh interval has passed (what the schedule does)."""
    with open_backend(settings_from(ctx)) as backend:
        done = backend.refresh_predictions(as_of)
    emit(done, as_json, "\n".join(f"{d['name']}: {d['status']}" for d in done) or "none due")


@predict.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Forget prediction NAME and its scores (its models stay in the registry)."""
    with open_backend(settings_from(ctx)) as backend:
        backend.delete_prediction(name)
    click.echo(f"deleted {name}")
