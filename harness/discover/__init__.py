"""`profile discover`: drafting a profile by talking to a live server for at most a minute.

`probe` opens the connections and sends the frames, every wait with a deadline, and
keeps what it saw; `draft` turns those observations into a commented TOML profile that
extends the closest built-in profile and names only what differs (docs/PROFILES.md,
"Drafting a profile").
"""
