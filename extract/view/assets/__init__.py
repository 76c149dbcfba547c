"""Styles and scripts of the viewer pages (data files, inlined at render time)."""
