"""The blog reproduction: Figures 2 and 3 and the tables against the blog, drawn from run records."""
