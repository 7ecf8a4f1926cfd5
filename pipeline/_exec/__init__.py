"""Thin wrappers, one module per external program; they translate failures into our errors."""
