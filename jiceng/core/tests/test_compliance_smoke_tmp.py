import datetime as dt
from jiceng.core import compliance
from django.db import connection
from django.test.utils import CaptureQueriesContext

def test_smoke(world):
    with CaptureQueriesContext(connection) as ctx:
        fs = compliance.evaluate(world.root, "2026-Q1")
    print(len(ctx.captured_queries))
    for f in fs:
        print(f.as_json())
    fs = compliance.evaluate(world.root, "2027-06-30")
    for f in fs:
        print(f.as_json())
