"""The sandbox: a fake WeCom (``/cgi-bin/...``, WeCom's wire format) and a customer and staff
simulator (``/sandbox/...``) with encrypted callbacks, for the demo, tests and benchmarks.

See ``README.md`` beside this file for the simulator's HTTP API and the CLI.
"""
