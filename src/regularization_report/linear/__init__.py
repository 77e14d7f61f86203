"""Penalized linear models: Lasso, Ridge, ElasticNet, logistic regression, Lp norms."""
