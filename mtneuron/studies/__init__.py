"""The studies, one module each: the blog reproduction's report, claims (and the comparison's claims),
part II, the comparison, engine equivalence, TF agreement, and the benchmarks. Reports need no
TensorFlow; training goes through the sweep."""
