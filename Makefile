# Quarry's only make target; everything else is plain `go` (see README.md).
.PHONY: bench
bench:
	scripts/bench.sh
