"""Moderation: blocking a reader who floods a site, seeing the blocks in force, lifting them.

Ingest asks :func:`blocks.is_blocked` about every report; the queue, the site page and the
``errata block`` commands set, list and lift blocks through the same functions.
"""
