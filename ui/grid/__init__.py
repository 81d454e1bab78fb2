"""The grid: model, sort/filter proxy, tile delegate, thumbnails and the key map."""
