"""Reading the raw archive outside Spark: what a rule would match before it is saved."""
