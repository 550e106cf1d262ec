"""Loaded as a pytest plugin (-p tests.env) before Django is set up.

Tests run with DEBUG off, as in production, so they need a secret key of their own.
"""

import os

os.environ.setdefault("SECRET_KEY", "only-for-the-test-suite")
os.environ.setdefault("SECURE_COOKIES", "0")
