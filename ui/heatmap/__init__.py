"""Per-window scores as a heatmap: the cells and colours, and the layers beside the fused score."""
