"""A chart task that fails, for the failure test (tests/e2e/test_charts.py). A module of its
own with no imports: the chart worker imports it to unpickle the task, and must not spend
its time limit importing the test suite."""


def broken_draw(spec: object) -> bytes:
    raise RuntimeError("the chart broke")
