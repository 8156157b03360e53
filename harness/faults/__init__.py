"""Fault injection: a TCP proxy that delays, throttles, cuts, resets or swallows traffic."""
