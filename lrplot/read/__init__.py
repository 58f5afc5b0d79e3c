"""Stage 1: reading files a config names: bounded, safe, with a line for every key."""
