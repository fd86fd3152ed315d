"""Side-by-side benchmarks of wirekit against its anchors (``make bench``)."""
