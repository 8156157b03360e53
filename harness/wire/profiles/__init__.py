"""The built-in profiles (TOML package data)."""
