"""The photo viewers: loupe, compare and survey, their canvases and zoom."""
