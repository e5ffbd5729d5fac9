"""A tests-only app that registers one rule of its own, as a new module of jiceng would (see
jiceng/core/tests/test_rule_registry.py): nothing in core names it."""
