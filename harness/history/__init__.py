"""The run history (SQLite), comparisons across runs, and sharded runs merged into one."""
