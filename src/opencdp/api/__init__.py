"""HTTP layer: FastAPI routers that translate HTTP into calls of the stages."""
