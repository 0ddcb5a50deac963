"""ResultFuture: a build or a measurement that may still be running (BuilderFuture and
RunnerFuture are this class), so one waiter serves both stages."""

from __future__ import annotations


class ResultFuture:
    """A result that may not be ready: done() polls, result() blocks.

    f_wait_handle, when given, returns a handle that `waiter(handles, timeout) -> bool` can
    block on until one of several handles is ready (True when one is); the task scheduler uses
    it to wait for the first of many futures without polling. A concurrent.futures.Future handle
    needs no waiter; other kinds (Ray ObjectRefs) come with the waiter of whoever made them.
    """

    def __init__(self, f_done, f_result=None, f_wait_handle=None, waiter=None):
        self._f_done = f_done
        self._f_result = f_result
        self._f_wait_handle = f_wait_handle
        self.waiter = waiter

    def done(self) -> bool:
        return self._f_done()

    def result(self):
        return self._f_result()

    def wait_handle(self):
        return None if self._f_wait_handle is None else self._f_wait_handle()
