# catalog/gen: the organisation generator behind `portico dev generate`.
# `make bench` includes writing 1,000,000 entities to disk.
BENCH_PKGS += ./catalog/gen
