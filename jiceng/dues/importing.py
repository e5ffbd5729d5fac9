"""``dues_base.csv``: members' monthly income bases, for ``jiceng import`` (placeholder until written)."""


def register_handler() -> None:
    pass
