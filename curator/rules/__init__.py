"""Pure rules: plain values in, decisions out. No catalog, no engine, no Qt."""
