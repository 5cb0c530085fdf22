"""Primitive ops, one module per family. Each op is a ``Function`` subclass plus a public function."""
