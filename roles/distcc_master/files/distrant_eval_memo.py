"""distrant.distcc: the include server's macro evaluations, computed once.

The include server evaluates a computed include (``#include MACRO(ARG)``) to every value the
macro could take under every definition it has seen so far (a "forall" analysis). Linux's
tracepoint headers make that expensive: ``TRACE_INCLUDE(TRACE_INCLUDE_FILE)``, on a dozen lines
of include/trace/*.h, is expanded over every ``TRACE_SYSTEM`` seen, and each new definition makes
the server evaluate every one of those lines again.

An evaluation depends only on its expression and on the definitions of the symbols it looked
up, and the include server only ever appends definitions. So a result is kept together with
the definition list (and its length) of every symbol the evaluation looked up, and returned
again while none of them has changed: the same answer, computed once per change.

DISTRANT_DISTCC_NO_MEMO=1 in the include server's environment leaves distcc's own evaluation.
"""

import os


class _Recorder(object):
    """The symbol table as macro_eval reads it (``in`` and ``[]``), noting what was looked up."""

    __slots__ = ("table", "seen")

    def __init__(self, table):
        self.table = table
        self.seen = {}

    def _note(self, symbol):
        defs = self.table.get(symbol)
        self.seen[symbol] = (defs, 0 if defs is None else len(defs))
        return defs

    def __contains__(self, symbol):
        return self._note(symbol) is not None

    def __getitem__(self, symbol):
        defs = self._note(symbol)
        if defs is None:
            raise KeyError(symbol)
        return defs


def _unchanged(table, seen):
    for symbol, (defs, length) in seen.items():
        now = table.get(symbol)
        if now is not defs or (now is not None and len(now) != length):
            return False
    return True


def memoize(evaluate, environ=None):
    """Wrap macro_eval.EvalExpression(expr, symbol_table); off with DISTRANT_DISTCC_NO_MEMO=1 (in os.environ)."""
    if (os.environ if environ is None else environ).get("DISTRANT_DISTCC_NO_MEMO") == "1":
        return evaluate
    kept = {}  # expression -> (its values, what the evaluation looked up), for the table in ``current``
    current = [None]

    def evaluate_once(expr, symbol_table):
        if symbol_table is not current[0]:
            kept.clear()  # the include server started a new table (its caches cleared): let the old one go
            current[0] = symbol_table
        entry = kept.get(expr)
        if entry is not None and _unchanged(symbol_table, entry[1]):
            return set(entry[0])
        recorder = _Recorder(symbol_table)
        result = evaluate(expr, recorder)
        kept[expr] = (frozenset(result), recorder.seen)
        return result

    evaluate_once.distrant_evaluate = evaluate  # distcc's own, for a check that both answer alike
    evaluate_once.distrant_kept = kept
    return evaluate_once
