"""Small stdlib-only helpers shared by every layer (L0)."""
